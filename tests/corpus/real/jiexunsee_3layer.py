"""Port of Jie Xun See's "Neural-Network-with-Python" 3layer.py (a 3-layer extension of Siraj Raval's tutorial net).

Origin: github.com/jiexunsee/Neural-Network-with-Python, 3layer.py, commit 9b0b421fdf08294fdb071922702b87e02dc0e7ad
  (the version before the author's fix e32aa32 of 2017-02-05, prompted by issue #1 "Problem in Error/Delta for layer 3").
Original mathematics kept verbatim: synaptic weights 2 * random - 1 (uniform(-1, 1)); sigmoid 1/(1+exp(-x));
  __sigmoid_derivative(x) = x * (1 - x) applied to the layer OUTPUTS a3, a2; del4 = training_set_outputs - output
  with NO sigmoid derivative of the output layer; del3 = (w3 del4^T) * a3 (1 - a3), del2 = (w2 del3) * a2 (1 - a2);
  adjustments a^T del summed over the whole training set (no 1/n); weights += adjustment (learning rate 1).
Changes for the API:
  the fixed 3-5-4-1 matrices become Linear layers of any size; draws come from rng (2 * rng.random - 1);
  the original has no biases: b is added, initialised to zeros and updated like the weights;
  the transposed bookkeeping (del3 as columns) is written with rows; the loop over iterations becomes the API's
    mini-batches of rng.permutation(n); the learning rate (1 in the original) is lr;
  MSELoss.forward is added (mean of squares, the original computes no loss value); MSELoss.backward is the
    original's "error" del4 = target - output; Network.backward skips the output Sigmoid exactly as the original
    does; Network.step adds the adjustment (weights += adjustment), the original's sign convention;
  added in the same style: Softmax (forward, backward, jacobian), CrossEntropyLoss, SoftmaxCrossEntropyLoss.
Expected verdict: bug in Network.backward: the output layer's sigmoid derivative is skipped (del4 = y - output).
  Also the original's sign convention: MSELoss.backward returns target - output (no 2/(n*d)) and step() adds it.
"""
import numpy as np


class Linear():
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.W = 2 * rng.random((n_in, n_out)) - 1
        self.b = np.zeros(n_out)
        self.dW = self.db = self.x = None

    def forward(self, inputs):
        self.x = np.asarray(inputs, dtype=float)
        return np.dot(self.x, self.W) + self.b

    def backward(self, delta):
        delta = np.asarray(delta, dtype=float)
        # get adjustments (gradients) for each layer: adjustment3 = dot(a3.T, del4)
        self.dW = np.dot(self.x.T, delta)
        self.db = delta.sum(axis=0)
        # del3 = dot(self.synaptic_weights3, del4.T) ...
        return np.dot(delta, self.W.T)


class Sigmoid():
    def __init__(self):
        self.y = None

    def __sigmoid(self, x):
        return 1/(1+np.exp(-x))

    # derivative of sigmoid function, indicates confidence about existing weight
    def __sigmoid_derivative(self, x):
        return x*(1-x)

    def forward(self, x):
        self.y = self.__sigmoid(np.asarray(x, dtype=float))
        return self.y

    def backward(self, delta):
        return delta * self.__sigmoid_derivative(self.y)


class Softmax():
    """Added in the same style."""

    def __init__(self):
        self.s = None

    def forward(self, x):
        x = np.asarray(x, dtype=float)
        e = np.exp(x - np.max(x, axis=1, keepdims=True))
        self.s = e / np.sum(e, axis=1, keepdims=True)
        return self.s

    def backward(self, delta):
        return self.s * (delta - np.sum(delta * self.s, axis=1, keepdims=True))

    def jacobian(self, x):
        x = np.asarray(x, dtype=float)
        e = np.exp(x - np.max(x, axis=1, keepdims=True))
        s = e / np.sum(e, axis=1, keepdims=True)
        return np.array([np.diag(r) - np.outer(r, r) for r in s])


class MSELoss():
    def forward(self, output, training_set_outputs):
        self.output = np.asarray(output, dtype=float)
        self.training_set_outputs = np.asarray(training_set_outputs, dtype=float)
        return float(np.mean((self.training_set_outputs - self.output) ** 2))

    def backward(self):
        # calculate error
        del4 = self.training_set_outputs - self.output
        return del4


class CrossEntropyLoss():
    """Added in the same style."""

    def forward(self, output, target):
        self.output = np.clip(np.asarray(output, dtype=float), 1e-12, 1)
        self.target = np.asarray(target, dtype=float)
        return float(-np.sum(self.target * np.log(self.output)) / len(self.output))

    def backward(self):
        return -self.target / self.output / len(self.output)


class SoftmaxCrossEntropyLoss():
    """Added in the same style."""

    def forward(self, z, target):
        z = np.asarray(z, dtype=float)
        self.target = np.asarray(target, dtype=float)
        m = np.max(z, axis=1, keepdims=True)
        lse = m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
        self.output = np.exp(z - lse)
        return float(np.sum(self.target * (lse - z)) / len(z))

    def backward(self):
        return (self.output - self.target) / len(self.output)


class Network():
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, inputs):
        # pass training set through our neural network
        for layer in self.layers:
            inputs = layer.forward(inputs)
        return inputs

    def backward(self, del4):
        layers = self.layers
        # the error del4 is used as the output layer's delta: no derivative of the output sigmoid
        if layers and isinstance(layers[-1], Sigmoid):
            layers = layers[:-1]
        delta = del4
        for layer in reversed(layers):
            delta = layer.backward(delta)
        return delta

    def parameters(self):
        out = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                out += [(layer.W, layer.dW), (layer.b, layer.db)]
        return out

    def step(self, lr):
        # adjust weights accordingly
        for weights, adjustment in self.parameters():
            weights += lr * adjustment


def train(network, loss, training_set_inputs, training_set_outputs, *, epochs, lr, batch_size, rng):
    n = len(training_set_inputs)
    history = []
    for iteration in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            output = network.forward(training_set_inputs[idx])
            total += loss.forward(output, training_set_outputs[idx]) * len(idx)
            network.backward(loss.backward())
            network.step(lr)
        history.append(total / n)
    return history
