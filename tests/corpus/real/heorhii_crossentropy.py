"""Port of Heorhii Berezovskyi's "NeuralNetworksFromScratch" layers: Linear and the CrossEntropyLoss layer.

Origin: github.com/heorhii-berezovskyi/NeuralNetworksFromScratch, neural_nets/model/CrossEntropyLoss.py and
  neural_nets/model/Linear.py, commit 536a08d957caefa120b5a5f9a6afd45ff4126c44.
Original mathematics kept verbatim: Linear init 0.01 * randn weights and zero biases, scores = W x + b,
  dW = dout x^T, db = sum of dout, dinput = W^T dout; CrossEntropyLoss.forward: scores shifted by their max,
  probs = exp / sum, self.probs = probs cached, data_loss = sum(-log(probs[labels, range(n)])) / n;
  CrossEntropyLoss.backward: dLi_dscores = self.probs (the cached array itself, not a copy);
  dLi_dscores[labels, range(labels.size)] -= 1.0 -- which overwrites the forward's cache --; dL_dscores =
  (1.0 / labels.size) * dLi_dscores; update W -= lr * dW, b -= lr * db.
Changes for the API:
  the library keeps classes on axis 0 (scores are (k, n)); here samples are rows and the loss transposes its
    input, computing exactly as the original in the (k, n) layout, and transposes the gradient back;
  forward's `scores -= amax(scores, axis=0)` edits the caller's array in place; it works on a copy here (the
    API forbids modifying inputs and accepts read-only arrays);
  labels are np.argmax(target, axis=1) of the one-hot targets; the (labels, scores) tuple argument becomes
    forward(scores, target); backward(dout) ignores dout (the original's Model passes 1.0) and takes none;
  W is stored (in, out) and b is (out,); draws come from rng; reg (L2) is dropped;
  the Relu layer has no API slot; added in the same style: Sigmoid, Softmax (forward, backward, jacobian),
    MSELoss, CrossEntropyLoss (the API's, on probabilities), Network, train.
Expected verdict: bug in SoftmaxCrossEntropyLoss.backward: it overwrites the probabilities its forward cached
  (a second backward() subtracts the one-hot target again).
"""
import numpy as np
from numpy import amax
from numpy import dot
from numpy import exp
from numpy import log
from numpy import sum
from numpy import zeros


class Linear:
    def __init__(self, input_dim: int, num_of_neurons: int, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.W = 0.01 * rng.standard_normal((input_dim, num_of_neurons))
        self.b = zeros(num_of_neurons)
        self.x = None
        self.dW = None
        self.db = None

    def forward(self, input_data):
        self.x = np.asarray(input_data, dtype=float)
        scores = dot(self.x, self.W) + self.b
        return scores

    def backward(self, dout):
        dout = np.asarray(dout, dtype=float)
        self.dW = dot(self.x.T, dout)
        self.db = sum(dout, axis=0)
        dinput = dot(dout, self.W.T)
        return dinput


class SoftmaxCrossEntropyLoss:
    def __init__(self):
        self.probs = None
        self.input = None

    def forward(self, logits, target):
        labels = np.argmax(np.asarray(target), axis=1)
        scores = np.array(logits, dtype=float).T      # (k, n) like the original; a copy
        self.input = (labels, scores)

        # Subtracting min values from scores for numeric stability.
        scores -= amax(scores, axis=0)

        exp_scores = exp(scores)
        # Calculating probabilities for each class over a mini-batch.
        probs = exp_scores / sum(exp_scores, axis=0, keepdims=True)
        self.probs = probs

        # Losses of each image.
        correct_logprobs = -log(probs[labels, range(labels.size)])

        # Loss over a mini-batch.
        data_loss = sum(correct_logprobs) / labels.size
        return float(data_loss)

    def backward(self):
        labels, scores = self.input
        dL_dLi = 1.0 / labels.size

        # dLi_scores = probs[k] - 1(yi = k)
        dLi_dscores = self.probs
        dLi_dscores[labels, range(labels.size)] -= 1.0

        dL_dscores = dL_dLi * dLi_dscores
        return dL_dscores.T


class Sigmoid:
    """Added in the same style."""

    def __init__(self):
        self.y = None

    def forward(self, input_data):
        self.y = 1.0 / (1.0 + exp(-np.asarray(input_data, dtype=float)))
        return self.y

    def backward(self, dout):
        return dout * self.y * (1.0 - self.y)


class Softmax:
    """Added in the same style."""

    def __init__(self):
        self.s = None

    @staticmethod
    def _probs(x):
        scores = np.array(x, dtype=float).T
        scores -= amax(scores, axis=0)
        exp_scores = exp(scores)
        return (exp_scores / sum(exp_scores, axis=0, keepdims=True)).T

    def forward(self, input_data):
        self.s = self._probs(input_data)
        return self.s

    def backward(self, dout):
        return self.s * (dout - sum(dout * self.s, axis=1, keepdims=True))

    def jacobian(self, input_data):
        p = self._probs(input_data)
        return np.array([np.diag(row) - np.outer(row, row) for row in p])


class MSELoss:
    """Added in the same style."""

    def forward(self, pred, target):
        self.diff = np.asarray(pred, dtype=float) - np.asarray(target, dtype=float)
        return float(sum(self.diff ** 2) / self.diff.size)

    def backward(self):
        return 2.0 * self.diff / self.diff.size


class CrossEntropyLoss:
    """Added in the same style (the API's cross-entropy on probabilities)."""

    def forward(self, probs, target):
        self.p = np.clip(np.asarray(probs, dtype=float), 1e-12, 1.0)
        self.t = np.asarray(target, dtype=float)
        return float(-sum(self.t * log(self.p)) / self.p.shape[0])

    def backward(self):
        return -self.t / self.p / self.p.shape[0]


class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def parameters(self):
        out = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                out += [(layer.W, layer.dW), (layer.b, layer.db)]
        return out

    def step(self, lr: float):
        # update_layer_weights(reg=0, lr)
        for layer in self.layers:
            if isinstance(layer, Linear):
                layer.W -= lr * layer.dW
                layer.b -= lr * layer.db


def train(network, loss, X, Y, *, epochs, lr, batch_size, rng):
    n = len(X)
    history = []
    for epoch in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            total += loss.forward(network.forward(X[idx]), Y[idx]) * len(idx)
            network.backward(loss.backward())
            network.step(lr)
        history.append(total / n)
    return history
