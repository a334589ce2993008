"""Correct submission: everything through log-probabilities (a hand-written logsumexp), tanh sigmoid."""
import numpy as np


def logsumexp(z):
    m = np.max(z, axis=1, keepdims=True)
    return m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))


def log_softmax(z):
    return z - logsumexp(z)


class Sigmoid:
    def forward(self, x):
        self.y = 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))
        return self.y

    def backward(self, grad_y):
        return grad_y * self.y * (1.0 - self.y)


class Softmax:
    def forward(self, z):
        self.s = np.exp(log_softmax(np.asarray(z, dtype=float)))
        return self.s

    def backward(self, grad_s):
        weighted = grad_s * self.s
        return weighted - self.s * weighted.sum(axis=1, keepdims=True)

    def jacobian(self, z):
        s = np.exp(log_softmax(np.asarray(z, dtype=float)))
        k = s.shape[1]
        return s[:, :, None] * (np.eye(k)[None] - s[:, None, :])


class Linear:
    def __init__(self, in_features, out_features, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        scale = 1 / np.sqrt(in_features)
        self.W = scale * (2 * rng.random((in_features, out_features)) - 1)
        self.b = scale * (2 * rng.random(out_features) - 1)
        self.dW = self.db = self.x = None

    def forward(self, x):
        self.x = np.asarray(x, dtype=float)
        return np.dot(self.x, self.W) + self.b

    def backward(self, grad_y):
        self.dW = np.dot(self.x.T, grad_y)
        self.db = np.sum(grad_y, axis=0)
        return np.dot(grad_y, self.W.T)


class MSELoss:
    def forward(self, pred, target):
        self.pred, self.target = np.asarray(pred, dtype=float), np.asarray(target, dtype=float)
        return float(np.average((self.pred - self.target) ** 2))

    def backward(self):
        return (self.pred - self.target) * (2.0 / self.pred.size)


class CrossEntropyLoss:
    def forward(self, probs, target):
        self.log_p = np.log(np.maximum(np.minimum(np.asarray(probs, dtype=float), 1.0), 1e-12))
        self.t = np.asarray(target, dtype=float)
        return float(-np.sum(self.t * self.log_p) / self.t.shape[0])

    def backward(self):
        return -self.t * np.exp(-self.log_p) / self.t.shape[0]


class SoftmaxCrossEntropyLoss:
    def forward(self, logits, target):
        self.log_p = log_softmax(np.asarray(logits, dtype=float))
        self.t = np.asarray(target, dtype=float)
        return float(-np.sum(self.t * self.log_p) / self.t.shape[0])

    def backward(self):
        return (np.exp(self.log_p) - self.t) / self.t.shape[0]


class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        out = x
        for layer in self.layers:
            out = layer.forward(out)
        return out

    def backward(self, grad_out):
        grad = grad_out
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def parameters(self):
        linear = [layer for layer in self.layers if hasattr(layer, "dW")]
        return [pair for layer in linear for pair in [(layer.W, layer.dW), (layer.b, layer.db)]]

    def step(self, lr):
        for param, grad in self.parameters():
            param -= lr * grad


def train(network, loss, X, Y, *, epochs, lr, batch_size, rng):
    n, history = len(X), []
    for _ in range(epochs):
        order = rng.permutation(n)
        batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
        losses = []
        for idx in batches:
            losses.append(loss.forward(network.forward(X[idx]), Y[idx]))
            network.backward(loss.backward())
            network.step(lr)
        history.append(float(np.dot(losses, [len(b) for b in batches]) / n))
    return history
