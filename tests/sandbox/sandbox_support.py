"""Submissions and limits shared by the sandbox tests."""
from __future__ import annotations

import textwrap
from pathlib import Path

from nngrade.sandbox import Limits

#: Short timeouts keep hostile tests fast; generous enough for a slow machine.
FAST = Limits(call_timeout=10.0, start_timeout=30.0)

CORRECT_NN = '''
import numpy as np


class Sigmoid:
    def forward(self, x):
        self.out = 1.0 / (1.0 + np.exp(-x))
        return self.out

    def backward(self, grad):
        return grad * self.out * (1.0 - self.out)

    def parameters(self):
        return []


class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = rng if rng is not None else np.random.default_rng(0)
        self.W = rng.normal(0.0, 0.5, size=(n_in, n_out))
        self.b = np.zeros(n_out)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad):
        self.dW = self.x.T @ grad
        self.db = grad.sum(axis=0)
        return grad @ self.W.T

    def parameters(self):
        return [(self.W, self.dW), (self.b, self.db)]


class MSELoss:
    def forward(self, pred, target):
        self.diff = pred - target
        return np.mean(self.diff ** 2)

    def backward(self):
        return 2.0 * self.diff / self.diff.size


class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad):
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def parameters(self):
        return [pair for layer in self.layers for pair in layer.parameters()]

    def step(self, lr):
        for param, grad in self.parameters():
            param -= lr * grad


def train(net, loss, x, y, epochs, lr):
    history = []
    for _ in range(epochs):
        value = loss.forward(net.forward(x), y)
        net.backward(loss.backward())
        net.step(lr)
        history.append(float(value))
    return history
'''


def write_submission(directory: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: source}`` into `directory` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return directory


def _kit() -> dict:
    """The default assignment's worker set-up: the API names to describe and the worker plugins."""
    from nngrade.engine.assignment import assignment_of

    assignment = assignment_of(None)
    return {"api": assignment.api, "plugins": assignment.plugin_paths()}


#: ``WorkerSession(..., **KIT)`` describes the assignment's API and can run its training operation.
KIT = _kit()
