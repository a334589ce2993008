"""A do-nothing submission: every method returns zeros of the right shape and keeps the API's attributes.

It must earn 0 points: no check may credit a property (inputs unchanged, no
accumulation, descent, a step) that only holds because nothing is computed.
"""
import numpy as np


class Sigmoid:
    def __init__(self):
        self.y = None

    def forward(self, x):
        self.y = np.zeros_like(np.asarray(x, dtype=float))
        return self.y

    def backward(self, grad_y):
        return np.zeros_like(np.asarray(grad_y, dtype=float))


class Softmax:
    def __init__(self):
        self.s = None

    def forward(self, z):
        self.s = np.zeros_like(np.asarray(z, dtype=float))
        return self.s

    def backward(self, grad_s):
        return np.zeros_like(np.asarray(grad_s, dtype=float))

    def jacobian(self, z):
        z = np.asarray(z, dtype=float)
        return np.zeros((z.shape[0], z.shape[1], z.shape[1]))


class Linear:
    def __init__(self, in_features, out_features, rng=None):
        self.W = np.zeros((in_features, out_features))
        self.b = np.zeros(out_features)
        self.dW = self.db = self.x = None

    def forward(self, x):
        self.x = np.asarray(x, dtype=float)
        return np.zeros((self.x.shape[0], self.W.shape[1]))

    def backward(self, grad_y):
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        return np.zeros((np.shape(grad_y)[0], self.W.shape[0]))


class _Loss:
    def forward(self, first, target):
        self.first = np.asarray(first, dtype=float)
        return 0.0

    def backward(self):
        return np.zeros_like(self.first)


class MSELoss(_Loss):
    pass


class CrossEntropyLoss(_Loss):
    pass


class SoftmaxCrossEntropyLoss(_Loss):
    pass


class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        return np.zeros((np.shape(x)[0], 1))

    def backward(self, grad_out):
        return np.zeros((np.shape(grad_out)[0], 1))

    def parameters(self):
        return [(p, np.zeros_like(p)) for layer in self.layers if isinstance(layer, Linear)
                for p in (layer.W, layer.b)]

    def step(self, lr):
        pass


def train(network, loss, X, Y, *, epochs, lr, batch_size, rng):
    return [0.0] * epochs
