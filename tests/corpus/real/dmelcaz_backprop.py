"""Port of dmelcaz's "simple-backprop" BackPropagationNN.py (multilayer perceptron with softmax output), 2019 state.

Origin: github.com/dmelcaz/simple-backprop, BackPropagationNN.py, commit 5ca139ba8c50bb454b099a0576241e5c228d659f (2019-07-25;
  the author fixed the softmax derivative in 79b8bce "Fix softmax backprop" and the sigmoid derivative in
  4071c6f "Fix sigmoid output and bias backprop", 2026-03-03).
Original mathematics kept verbatim: softmax(x) = exp(x) / sum(exp(x)) (no max shift); softmax_prime(x) =
  softmax(x) * (1 - softmax(x)) and sigmoid_prime(x) = sigmoid(x) * (1 - sigmoid(x)), both called in fit() on
  the layers' OUTPUTS (deltao = output_act_prime(ao) * (y - ao), deltai = activation_prime(ah) * (wo deltao)):
  the softmax's elementwise derivative is applied to the already-softmaxed output, and the sigmoid is applied a
  second time inside its own derivative; the error y - ao; weights randn / sqrt(fan_in); the update
  w += learning_rate * outer(layer input, delta) (gradient descent on 1/2 sum (y - ao)^2 written with +=);
  every delta is computed before any weight is updated.
Changes for the API:
  the bias handled as a prepended 1 (a weight row of wo) becomes Linear.b, drawn like that row
    (randn / sqrt(fan_in)); the original's input->hidden layer has no bias, here it gets one drawn the same way;
  activation='sigmoid', output_act='softmax' (the original's defaults are tanh/softmax; the API's hidden unit is
    the sigmoid); momentum (0 by default) and learning-rate decay (0) are dropped;
  fit()'s per-sample loop becomes mini-batches of rng.permutation(n); per-sample errors are summed over the
    batch as the original's updates add up;
  MSELoss.backward is the original's error y - ao; MSELoss.forward (the original computes no loss value) is the
    API's mean of squares; Network.step adds (w += lr * update), the original's convention;
  Softmax.jacobian: the diagonal of softmax_prime evaluated, as in fit(), at the softmax output;
  added in the same style: CrossEntropyLoss, SoftmaxCrossEntropyLoss (API sign, i.e. d loss / d input).
Expected verdict: bug in Softmax.backward: the elementwise s * (1 - s) is applied to the softmax output again
  (softmax(s) * (1 - softmax(s))) instead of the Jacobian of the softmax at its input.
  Also: Sigmoid.backward applies the sigmoid again (sigmoid(y) (1 - sigmoid(y))); the sign convention
  (MSELoss.backward returns y - ao, step adds); Softmax.forward without the max shift.
"""
import numpy as np


# Activation functions
def sigmoid(x):
    return 1.0/(1.0 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x)*(1.0-sigmoid(x))


def softmax(x):
    return (np.exp(np.array(x)) / np.sum(np.exp(np.array(x)), axis=1, keepdims=True))


def softmax_prime(x):
    return softmax(x)*(1.0-softmax(x))


class Linear(object):

    def __init__(self, inputs, outputs, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        # Weights initializarion
        self.W = rng.standard_normal((inputs, outputs))/np.sqrt(inputs)
        self.b = rng.standard_normal(outputs)/np.sqrt(inputs)
        self.dW = self.db = self.x = None

    def forward(self, X):
        self.x = np.asarray(X, dtype=float)
        return np.dot(self.x, self.W) + self.b

    def backward(self, delta):
        delta = np.asarray(delta, dtype=float)
        # np.outer(ah, deltao), summed over the batch
        self.dW = np.dot(self.x.T, delta)
        self.db = np.sum(delta, axis=0)
        # np.dot(self.wo, deltao)
        return np.dot(delta, self.W.T)


class Sigmoid(object):

    def __init__(self):
        self.y = None

    def forward(self, X):
        # ah = self.activation(np.dot(X, self.wi))
        self.y = sigmoid(np.asarray(X, dtype=float))
        return self.y

    def backward(self, delta):
        # deltai = np.multiply(self.activation_prime(ah), ...)
        return np.multiply(sigmoid_prime(self.y), delta)


class Softmax(object):

    def __init__(self):
        self.s = None

    def forward(self, X):
        # ao = self.output_act(np.dot(ah, self.wo))
        self.s = softmax(np.asarray(X, dtype=float))
        return self.s

    def backward(self, delta):
        # deltao = np.multiply(self.output_act_prime(ao), y[i] - ao)
        return np.multiply(softmax_prime(self.s), delta)

    def jacobian(self, X):
        ao = softmax(np.asarray(X, dtype=float))
        return np.array([np.diag(d) for d in softmax_prime(ao)])


class MSELoss(object):

    def forward(self, ao, y):
        self.ao = np.asarray(ao, dtype=float)
        self.y = np.asarray(y, dtype=float)
        return float(np.mean((self.y - self.ao) ** 2))

    def backward(self):
        return self.y - self.ao


class CrossEntropyLoss(object):
    """Added in the same style."""

    def forward(self, ao, y):
        self.ao = np.clip(np.asarray(ao, dtype=float), 1e-12, 1)
        self.y = np.asarray(y, dtype=float)
        return float(-np.sum(self.y * np.log(self.ao)) / len(self.ao))

    def backward(self):
        return -self.y / self.ao / len(self.ao)


class SoftmaxCrossEntropyLoss(object):
    """Added in the same style."""

    def forward(self, z, y):
        z = np.asarray(z, dtype=float)
        self.y = np.asarray(y, dtype=float)
        m = np.max(z, axis=1, keepdims=True)
        lse = m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
        self.ao = np.exp(z - lse)
        return float(np.sum(self.y * (lse - z)) / len(z))

    def backward(self):
        return (self.ao - self.y) / len(self.ao)


class Network(object):

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, X):
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, delta):
        # Deltas (all computed before the weights update)
        for layer in reversed(self.layers):
            delta = layer.backward(delta)
        return delta

    def parameters(self):
        out = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                out += [(layer.W, layer.dW), (layer.b, layer.db)]
        return out

    def step(self, learning_rate):
        # Weights update: self.wo += self.updateo, updateo = learning_rate * np.outer(ah, deltao)
        for w, update in self.parameters():
            w += np.multiply(learning_rate, update)


def train(network, loss, X, y, *, epochs, lr, batch_size, rng):
    n = len(X)
    history = []
    for k in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            ao = network.forward(X[idx])
            total += loss.forward(ao, y[idx]) * len(idx)
            network.backward(loss.backward())
            network.step(lr)
        history.append(total / n)
    return history
