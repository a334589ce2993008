"""Correct submission: explicit Python loops, including the Jacobian and J^T g built from it."""
import math

import numpy as np


def _sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


class Sigmoid:
    def forward(self, x):
        x = np.asarray(x, dtype=float)
        self.y = np.zeros(x.shape)
        for index, value in np.ndenumerate(x):
            self.y[index] = _sigmoid(value)
        return self.y

    def backward(self, grad_y):
        return grad_y * self.y * (1.0 - self.y)


class Softmax:
    def forward(self, z):
        z = np.asarray(z, dtype=float)
        self.s = np.zeros(z.shape)
        for i, row in enumerate(z):
            exps = [math.exp(v - max(row)) for v in row]
            self.s[i] = [e / sum(exps) for e in exps]
        return self.s

    def jacobian(self, z):
        saved = getattr(self, "s", None)
        s = self.forward(z)
        self.s = saved
        n, k = s.shape
        J = np.zeros((n, k, k))
        for i in range(n):
            for a in range(k):
                for c in range(k):
                    J[i, a, c] = s[i, a] * ((a == c) - s[i, c])
        return J

    def backward(self, grad_s):
        n, k = self.s.shape
        J = np.zeros((n, k, k))
        for i in range(n):
            J[i] = np.diag(self.s[i]) - np.outer(self.s[i], self.s[i])
        return np.stack([J[i].T @ grad_s[i] for i in range(n)])


class Linear:
    def __init__(self, in_features, out_features, rng=None):
        rng = rng or np.random.default_rng()
        bound = 1 / math.sqrt(in_features)
        self.W = rng.uniform(-bound, bound, size=(in_features, out_features))
        self.b = rng.uniform(-bound, bound, size=(out_features,))
        self.dW = self.db = self.x = None

    def forward(self, x):
        self.x = np.asarray(x, dtype=float)
        return self.x @ self.W + self.b

    def backward(self, grad_y):
        self.dW = np.zeros_like(self.W)
        for row_x, row_g in zip(self.x, grad_y):
            self.dW += np.outer(row_x, row_g)
        self.db = np.zeros_like(self.b)
        for row_g in grad_y:
            self.db += row_g
        return grad_y @ self.W.T


class MSELoss:
    def forward(self, pred, target):
        self.diff = np.asarray(pred, dtype=float) - np.asarray(target, dtype=float)
        return float(sum(d * d for d in self.diff.ravel()) / self.diff.size)

    def backward(self):
        return 2 * self.diff / self.diff.size


class CrossEntropyLoss:
    def forward(self, probs, target):
        self.p = np.clip(np.asarray(probs, dtype=float), 1e-12, 1)
        self.t = np.asarray(target, dtype=float)
        total = 0.0
        for p_row, t_row in zip(self.p, self.t):
            total -= sum(t * math.log(p) for t, p in zip(t_row, p_row) if t != 0)
        return total / len(self.p)

    def backward(self):
        return -self.t / self.p / len(self.p)


class SoftmaxCrossEntropyLoss:
    def forward(self, logits, target):
        self.p, self.t = Softmax().forward(logits), np.asarray(target, dtype=float)
        total = 0.0
        for z_row, t_row in zip(np.asarray(logits, dtype=float), self.t):
            m = max(z_row)
            log_sum = m + math.log(sum(math.exp(v - m) for v in z_row))
            total += sum(t * (log_sum - v) for t, v in zip(t_row, z_row))
        return total / len(self.t)

    def backward(self):
        return (self.p - self.t) / len(self.t)


class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out):
        for i in range(len(self.layers) - 1, -1, -1):
            grad_out = self.layers[i].backward(grad_out)
        return grad_out

    def parameters(self):
        out = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                out.append((layer.W, layer.dW))
                out.append((layer.b, layer.db))
        return out

    def step(self, lr):
        for param, grad in self.parameters():
            param[...] = param - lr * grad


def train(network, loss, X, Y, *, epochs, lr, batch_size, rng):
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        total = 0.0
        start = 0
        while start < len(X):
            idx = order[start:start + batch_size]
            total += loss.forward(network.forward(X[idx]), Y[idx]) * len(idx)
            network.backward(loss.backward())
            network.step(lr)
            start += batch_size
        history.append(total / len(X))
    return history
