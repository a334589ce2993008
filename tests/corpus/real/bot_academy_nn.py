"""Port of Bot Academy's "Neural Network From Scratch" (YouTube tutorial) nn.py.

Origin: github.com/Bot-Academy/NeuralNetworkFromScratch, nn.py, commit 9c1b4791ec934176c073ee99511e9cdf7c90c3d1
  (the bugs are described, unmerged, in pull request #3 "Fixed formally wrong backpropagation/gradient descent").
Original mathematics kept verbatim: weights uniform(-0.5, 0.5), biases zero; h = 1 / (1 + exp(-h_pre)) on both
  layers; the cost e = 1/len(o) * sum((o - l)^2) (mean over the outputs); delta_o = o - l used directly as the
  error of the output PRE-activation (no sigmoid derivative, and not 2/len(o) * (o - l) either);
  w_h_o += -learn_rate * delta_o @ h^T and b_h_o += -learn_rate * delta_o BEFORE delta_h is computed;
  delta_h = w_h_o^T @ delta_o * (h * (1 - h)) with the already-updated w_h_o; then the input->hidden update.
Changes for the API:
  column vectors become rows: W is stored (in, out), b is (out,); draws come from rng;
  the loss, the layers and the update order are split over MSELoss / Linear / Sigmoid / Network / train;
  the per-image loop becomes mini-batches of rng.permutation(n); delta_o = o - l of one image is averaged over
    the batch (MSELoss.backward returns (o - l) / n) -- the original's scale for one image, n = 1;
  Network.backward reproduces the original's chain without updating anything: the output layer's Sigmoid is
    skipped (delta_o is taken as the output pre-activation's error); train() reproduces the original's order:
    each Linear layer is updated as soon as its gradient is known and the error is then sent back through the
    updated weights;
  added in the same style: Softmax (forward, backward, jacobian), CrossEntropyLoss, SoftmaxCrossEntropyLoss.
Expected verdict: bug in Network.backward: the output layer's activation derivative is skipped (delta_o = o - l).
  Also: train() updates w_h_o before propagating the error through it; MSELoss.backward lacks the 2/len(o)
  factor of its own cost (0.5x for one output).
"""
import numpy as np


class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        # w_i_h = np.random.uniform(-0.5, 0.5, (20, 784)); b_i_h = np.zeros((20, 1))
        self.W = rng.uniform(-0.5, 0.5, (n_in, n_out))
        self.b = np.zeros(n_out)
        self.dW = self.db = self.x = None

    def forward(self, x):
        self.x = np.asarray(x, dtype=float)
        # h_pre = b_i_h + w_i_h @ img
        return self.b + self.x @ self.W

    def backward(self, delta):
        delta = np.asarray(delta, dtype=float)
        self.dW = self.x.T @ delta          # delta_o @ np.transpose(h)
        self.db = delta.sum(axis=0)         # delta_o
        return delta @ self.W.T             # np.transpose(w_h_o) @ delta_o


class Sigmoid:
    def __init__(self):
        self.y = None

    def forward(self, h_pre):
        self.y = 1 / (1 + np.exp(-np.asarray(h_pre, dtype=float)))
        return self.y

    def backward(self, delta):
        h = self.y
        return delta * (h * (1 - h))


class Softmax:
    """Added in the same style."""

    def __init__(self):
        self.s = None

    def forward(self, z):
        z = np.asarray(z, dtype=float)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        self.s = e / e.sum(axis=1, keepdims=True)
        return self.s

    def backward(self, delta):
        return self.s * (delta - (delta * self.s).sum(axis=1, keepdims=True))

    def jacobian(self, z):
        z = np.asarray(z, dtype=float)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        s = e / e.sum(axis=1, keepdims=True)
        return np.array([np.diag(r) - np.outer(r, r) for r in s])


class MSELoss:
    def forward(self, o, l):
        self.o = np.asarray(o, dtype=float)
        self.l = np.asarray(l, dtype=float)
        # Cost / Error calculation: e = 1 / len(o) * np.sum((o - l) ** 2, axis=0), averaged over the images
        e = 1 / self.o.shape[1] * np.sum((self.o - self.l) ** 2, axis=1)
        return float(np.mean(e))

    def backward(self):
        # Backpropagation output -> hidden (cost function derivative)
        delta_o = self.o - self.l
        return delta_o / len(delta_o)


class CrossEntropyLoss:
    """Added in the same style."""

    def forward(self, o, l):
        self.o = np.clip(np.asarray(o, dtype=float), 1e-12, 1)
        self.l = np.asarray(l, dtype=float)
        return float(-np.sum(self.l * np.log(self.o)) / len(self.o))

    def backward(self):
        return -self.l / self.o / len(self.o)


class SoftmaxCrossEntropyLoss:
    """Added in the same style."""

    def forward(self, o_pre, l):
        z = np.asarray(o_pre, dtype=float)
        self.l = np.asarray(l, dtype=float)
        m = z.max(axis=1, keepdims=True)
        lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        self.o = np.exp(z - lse)
        return float(np.sum(self.l * (lse - z)) / len(z))

    def backward(self):
        return (self.o - self.l) / len(self.o)


def _backward_layers(layers):
    """The layers the original backpropagates through: the output activation is skipped (delta_o = o - l)."""
    if layers and isinstance(layers[-1], Sigmoid):
        return layers[:-1]
    return layers


class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, img):
        for layer in self.layers:
            img = layer.forward(img)
        return img

    def backward(self, delta_o):
        delta = delta_o
        for layer in reversed(_backward_layers(self.layers)):
            delta = layer.backward(delta)
        return delta

    def parameters(self):
        out = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                out += [(layer.W, layer.dW), (layer.b, layer.db)]
        return out

    def step(self, learn_rate):
        for p, g in self.parameters():
            p += -learn_rate * g


def train(network, loss, images, labels, *, epochs, lr, batch_size, rng):
    n = len(images)
    history = []
    for epoch in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            o = network.forward(images[idx])
            e = loss.forward(o, labels[idx])
            total += e * len(idx)
            delta = loss.backward()
            for layer in reversed(_backward_layers(network.layers)):
                if isinstance(layer, Linear):
                    layer.backward(delta)
                    # w_h_o += -learn_rate * delta_o @ np.transpose(h); b_h_o += -learn_rate * delta_o
                    layer.W += -lr * layer.dW
                    layer.b += -lr * layer.db
                    # delta_h = np.transpose(w_h_o) @ delta_o * (h * (1 - h)) -- with the updated w_h_o
                    delta = delta @ layer.W.T
                else:
                    delta = layer.backward(delta)
        history.append(total / n)
    return history
