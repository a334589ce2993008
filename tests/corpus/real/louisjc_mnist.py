"""Port of louisjc's "mnist-neural-network" neural_net.py (2-layer MNIST network), before its fix for issue #1.

Origin: github.com/louisjc/mnist-neural-network, neural_net.py, commit fa2dc663fbba7afc82de8a8b9ddb470cbc5acd2c
  (fixed by b8d2c3191bbe048e4aa7ba7f4cae75431bc08091 "Fixes #1", 2018-08-09, after issue #1 "Bugs?").
Original mathematics kept verbatim: weights (bias as an extra column) np.random.rand(n_out, n_in + 1) / n_out,
  i.e. uniform on [0, 1/n_out): ALL POSITIVE; scipy.special.expit as the sigmoid; output_deltas = outputs *
  (1 - outputs) * (outputs - target); the output layer is updated (layers[-1] -= c * outer(output_deltas,
  hidden_with_bias)) BEFORE hidden_deltas = hidden * (1 - hidden) * (layers[-1]^T output_deltas) is computed,
  so the hidden error goes back through the already-updated output weights; then layers[0] -= c * outer(...).
Changes for the API:
  the bias column becomes Linear.b (drawn the same way, rand / n_out) and W is stored (in, out); draws from rng;
  the hard-coded np.delete(self.layers[-1], 200, 1) (meant to drop the bias column, which is column 300 for the
    300-unit net; also fixed in b8d2c31) cannot be ported to other sizes: the port uses W without its bias, the
    intended behaviour;
  the learning coefficient c = 1/(iteration + 10) becomes lr; per-image updates become mini-batches of
    rng.permutation(n), the per-image deltas averaged over the batch (the losses are means);
  the original computes no loss value and only the delta (outputs - target) of 1/2 ||outputs - target||^2;
    MSELoss (forward and backward) is written to the API;
  Network.backward / Network.step are the same chain without interleaving (the API's units); train() keeps the
    original's order: each Linear layer is updated as soon as its gradient is known, and the error is then sent
    back through the UPDATED weights;
  added in the same style: Softmax (forward, backward, jacobian), CrossEntropyLoss, SoftmaxCrossEntropyLoss.
Expected verdict: bug in train: the weights are updated before the error is propagated back through them.
  Also the original's all-positive initialisation (uniform [0, 1/n_out)).
"""
import numpy as np
from scipy import special


class Linear:

    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        # Standardize random weights: np.random.rand(n_out, n_in + 1) / n_out, the last column being the bias
        self.W = rng.random((n_in, n_out)) / n_out
        self.b = rng.random(n_out) / n_out
        self.dW = self.db = self.x = None

    def forward(self, input_vector):
        self.x = np.asarray(input_vector, dtype=float)
        # output = np.inner(layer, input_with_bias)
        return np.inner(self.x, self.W.T) + self.b

    def backward(self, deltas):
        deltas = np.asarray(deltas, dtype=float)
        # np.outer(output_deltas, np.append(hidden_outputs, 1)), summed over the batch
        self.dW = np.dot(self.x.T, deltas)
        self.db = deltas.sum(axis=0)
        # np.dot(layer.T, output_deltas)
        return np.dot(deltas, self.W.T)


class Sigmoid:

    def __init__(self):
        self.y = None

    def forward(self, output):
        self.y = special.expit(np.asarray(output, dtype=float))
        return self.y

    def backward(self, deltas):
        outputs = self.y
        return outputs * (1 - outputs) * deltas


class Softmax:
    """Added in the same style."""

    def __init__(self):
        self.s = None

    def forward(self, z):
        self.s = special.softmax(np.asarray(z, dtype=float), axis=1)
        return self.s

    def backward(self, g):
        return self.s * (g - np.sum(g * self.s, axis=1, keepdims=True))

    def jacobian(self, z):
        s = special.softmax(np.asarray(z, dtype=float), axis=1)
        return np.array([np.diag(r) - np.outer(r, r) for r in s])


class MSELoss:
    """Written to the API (the original has no loss value)."""

    def forward(self, outputs, target):
        self.outputs = np.asarray(outputs, dtype=float)
        self.target = np.asarray(target, dtype=float)
        return float(np.mean((self.outputs - self.target) ** 2))

    def backward(self):
        return 2 * (self.outputs - self.target) / self.outputs.size


class CrossEntropyLoss:
    """Added in the same style."""

    def forward(self, outputs, target):
        self.outputs = np.clip(np.asarray(outputs, dtype=float), 1e-12, 1)
        self.target = np.asarray(target, dtype=float)
        return float(-np.sum(self.target * np.log(self.outputs)) / len(self.outputs))

    def backward(self):
        return -self.target / self.outputs / len(self.outputs)


class SoftmaxCrossEntropyLoss:
    """Added in the same style."""

    def forward(self, z, target):
        z = np.asarray(z, dtype=float)
        self.target = np.asarray(target, dtype=float)
        log_p = special.log_softmax(z, axis=1)
        self.outputs = np.exp(log_p)
        return float(-np.sum(self.target * log_p) / len(z))

    def backward(self):
        return (self.outputs - self.target) / len(self.outputs)


class Network:

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, input_vector):
        for layer in self.layers:
            input_vector = layer.forward(input_vector)
        return input_vector

    def backward(self, deltas):
        for layer in reversed(self.layers):
            deltas = layer.backward(deltas)
        return deltas

    def parameters(self):
        out = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                out += [(layer.W, layer.dW), (layer.b, layer.db)]
        return out

    def step(self, c):
        for layer, gradient in self.parameters():
            layer -= c * gradient


def train(network, loss, inputs, targets, *, epochs, lr, batch_size, rng):
    n = len(inputs)
    history = []
    for iteration in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            outputs = network.forward(inputs[idx])
            total += loss.forward(outputs, targets[idx]) * len(idx)
            deltas = loss.backward()
            for layer in reversed(network.layers):
                if isinstance(layer, Linear):
                    # Calculation of partial derivatives for the layer and subtraction
                    layer.backward(deltas)
                    layer.W -= lr * layer.dW
                    layer.b -= lr * layer.db
                    # Calculation of partial derivatives for the previous layer: through the updated layer
                    deltas = np.dot(deltas, layer.W.T)
                else:
                    deltas = layer.backward(deltas)
        history.append(total / n)
    return history
