"""Port of farzaa's SimpleMultilayerPerceptron simple_mlp.py, after the merged pull request #2/#3.

Origin: github.com/farzaa/SimpleMultilayerPerceptron, simple_mlp.py, commit e5720a6f4b9c27383aa73c577bd1bdbffffe372e
  (the derivative changed in e7f9d187f5c5b6f5ce184d34ab198cf771ee5c38 "Fix to applySigmoid's derivative",
  merged as 7066101a5ee64834aa9105ac32c0d18979716157: x * (1 - x) became applySigmoid(x) * (1 - applySigmoid(x))
  while it is still called on the prediction, i.e. on the sigmoid's OUTPUT).
Original mathematics kept verbatim: weights 2 * np.random.random(...) - 1 (uniform(-1, 1)); prediction =
  applySigmoid(inputs @ weights); error = keys - prediction; change_in_error = error *
  applySigmoid(prediction, True) = error * sigmoid(prediction) * (1 - sigmoid(prediction)) -- the sigmoid applied
  a second time inside its derivative; weights += inputs.T @ change_in_error (learning rate 1, no 1/n).
Changes for the API:
  the single weight matrix becomes Linear layers of any size; the original has no bias: b is added (zeros);
  draws from rng; the 20000 full-batch iterations become the API's mini-batches of rng.permutation(n), lr
    multiplying the original's step of 1;
  MSELoss.backward is the original's error keys - prediction; MSELoss.forward (the original computes none) is
    the API's mean of squares; Network.step adds (weights += ...), the original's convention;
  added in the same style: Softmax (forward, backward, jacobian), CrossEntropyLoss, SoftmaxCrossEntropyLoss.
Expected verdict: bug in Sigmoid.backward: the sigmoid is applied twice (sigmoid(y) * (1 - sigmoid(y)) of the
  output y). Also the original's sign convention: MSELoss.backward returns keys - prediction, step() adds.
"""
import numpy as np


def applySigmoid(x, giveMeTheDerivative = False):
    if(giveMeTheDerivative == True):
        return applySigmoid(x) * (1 - applySigmoid(x))
    return 1 / (1 + np.exp(-x))


class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.W = 2*rng.random((n_in, n_out)) - 1
        self.b = np.zeros(n_out)
        self.dW = self.db = self.x = None

    def forward(self, inputs):
        self.x = np.asarray(inputs, dtype=float)
        return np.dot(self.x, self.W) + self.b

    def backward(self, change_in_error):
        change_in_error = np.asarray(change_in_error, dtype=float)
        self.dW = np.dot(self.x.T, change_in_error)
        self.db = change_in_error.sum(axis=0)
        return np.dot(change_in_error, self.W.T)


class Sigmoid:
    def __init__(self):
        self.y = None

    def forward(self, x):
        self.y = applySigmoid(np.asarray(x, dtype=float))
        return self.y

    def backward(self, error):
        prediction = self.y
        change_in_error = error * applySigmoid(prediction, True)
        return change_in_error


class Softmax:
    def __init__(self):
        self.s = None

    def forward(self, x):
        x = np.asarray(x, dtype=float)
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.s = e / e.sum(axis=1, keepdims=True)
        return self.s

    def backward(self, error):
        return self.s * (error - (error * self.s).sum(axis=1, keepdims=True))

    def jacobian(self, x):
        x = np.asarray(x, dtype=float)
        e = np.exp(x - x.max(axis=1, keepdims=True))
        s = e / e.sum(axis=1, keepdims=True)
        return np.array([np.diag(r) - np.outer(r, r) for r in s])


class MSELoss:
    def forward(self, prediction, keys):
        self.prediction, self.keys = np.asarray(prediction, dtype=float), np.asarray(keys, dtype=float)
        return float(np.mean((self.keys - self.prediction) ** 2))

    def backward(self):
        error = self.keys - self.prediction
        return error


class CrossEntropyLoss:
    def forward(self, prediction, keys):
        self.prediction = np.clip(np.asarray(prediction, dtype=float), 1e-12, 1)
        self.keys = np.asarray(keys, dtype=float)
        return float(-np.sum(self.keys * np.log(self.prediction)) / len(self.prediction))

    def backward(self):
        return -self.keys / self.prediction / len(self.prediction)


class SoftmaxCrossEntropyLoss:
    def forward(self, z, keys):
        z = np.asarray(z, dtype=float)
        self.keys = np.asarray(keys, dtype=float)
        m = z.max(axis=1, keepdims=True)
        lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        self.prediction = np.exp(z - lse)
        return float(np.sum(self.keys * (lse - z)) / len(z))

    def backward(self):
        return (self.prediction - self.keys) / len(self.prediction)


class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, inputs):
        for layer in self.layers:
            inputs = layer.forward(inputs)
        return inputs

    def backward(self, error):
        for layer in reversed(self.layers):
            error = layer.backward(error)
        return error

    def parameters(self):
        out = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                out += [(layer.W, layer.dW), (layer.b, layer.db)]
        return out

    def step(self, lr):
        for weights, change in self.parameters():
            weights += lr * change


def train(network, loss, inputs, keys, *, epochs, lr, batch_size, rng):
    n = len(inputs)
    history = []
    for iter in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            prediction = network.forward(inputs[idx])
            total += loss.forward(prediction, keys[idx]) * len(idx)
            network.backward(loss.backward())
            network.step(lr)
        history.append(total / n)
    return history
