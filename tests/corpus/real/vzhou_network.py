"""Port of Victor Zhou's "Machine Learning for Beginners: An Introduction to Neural Networks" network.py.

Origin: github.com/vzhou842/neural-network-from-scratch, network.py, commit 6895d539a7c7f804102db64ce7b619f8c2636148.
Original mathematics kept verbatim: sigmoid and deriv_sigmoid(x) = f(x) (1 - f(x)) evaluated at the neuron's
  sum (the pre-activation); every weight and bias drawn from np.random.normal() (N(0, 1)); d_L_d_ypred =
  -2 * (y_true - y_pred); the chain d_L/d_w = d_L_d_ypred * d_ypred_d_h * d_h_d_w, with every partial (including
  d_ypred_d_h1 = w5 * deriv_sigmoid(sum_o1)) computed BEFORE any weight is updated; the update w -= learn_rate * d;
  mse_loss = mean((y_true - y_pred)^2); the epoch loss is mse_loss of the whole data set after the epoch.
Changes for the API:
  the hard-wired 2-2-1 network of nine scalars (w1..w6, b1..b3) becomes Linear layers of any size, one weight
    per (input, output) pair, drawn N(0, 1) from rng; the scalar chain rule becomes the same chain in matrix form
    (Linear.backward, Sigmoid.backward, Network.backward);
  the original trains on one sample and one output at a time, where mean((y_true - y_pred)^2) has derivative
    -2 (y_true - y_pred); for a batch the same derivative is divided by n * d (the API's mean);
  per-sample updates become the API's mini-batches of rng.permutation(n); the loss is recorded after every epoch
    instead of every 10th;
  added in the same style: Softmax (forward, backward, jacobian), CrossEntropyLoss (clipped at 1e-12),
    SoftmaxCrossEntropyLoss.
Expected verdict: correct (conventions: N(0, 1) weights and biases; the epoch loss is the full-data loss after the
  epoch, not the mean of the batch losses; sigmoid overflows with a RuntimeWarning at -1000).
"""
import numpy as np


def sigmoid(x):
    # Sigmoid activation function: f(x) = 1 / (1 + e^(-x))
    return 1 / (1 + np.exp(-x))


def deriv_sigmoid(x):
    # Derivative of sigmoid: f'(x) = f(x) * (1 - f(x))
    fx = sigmoid(x)
    return fx * (1 - fx)


def mse_loss(y_true, y_pred):
    # y_true and y_pred are numpy arrays of the same length.
    return ((y_true - y_pred) ** 2).mean()


class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        # Weights
        self.W = rng.normal(size=(n_in, n_out))
        # Biases
        self.b = rng.normal(size=n_out)
        self.dW = self.db = self.x = None

    def forward(self, x):
        self.x = np.asarray(x, dtype=float)
        return self.x @ self.W + self.b

    def backward(self, d_L_d_sum):
        d_L_d_sum = np.asarray(d_L_d_sum, dtype=float)
        # d_sum_d_w = x, d_sum_d_b = 1, d_sum_d_x = w
        self.dW = self.x.T @ d_L_d_sum
        self.db = d_L_d_sum.sum(axis=0)
        return d_L_d_sum @ self.W.T


class Sigmoid:
    def __init__(self):
        self.sum = None
        self.y = None

    def forward(self, sum_h):
        self.sum = np.asarray(sum_h, dtype=float)
        self.y = sigmoid(self.sum)
        return self.y

    def backward(self, d_L_d_h):
        return d_L_d_h * deriv_sigmoid(self.sum)


class Softmax:
    def __init__(self):
        self.s = None

    @staticmethod
    def _f(x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def forward(self, x):
        self.s = self._f(np.asarray(x, dtype=float))
        return self.s

    def backward(self, d_L_d_s):
        return self.s * (d_L_d_s - (d_L_d_s * self.s).sum(axis=1, keepdims=True))

    def jacobian(self, x):
        s = self._f(np.asarray(x, dtype=float))
        return np.array([np.diag(r) - np.outer(r, r) for r in s])


class MSELoss:
    def forward(self, y_pred, y_true):
        self.y_pred = np.asarray(y_pred, dtype=float)
        self.y_true = np.asarray(y_true, dtype=float)
        return float(mse_loss(self.y_true, self.y_pred))

    def backward(self):
        d_L_d_ypred = -2 * (self.y_true - self.y_pred)
        return d_L_d_ypred / self.y_pred.size


class CrossEntropyLoss:
    def forward(self, y_pred, y_true):
        self.y_pred = np.clip(np.asarray(y_pred, dtype=float), 1e-12, 1)
        self.y_true = np.asarray(y_true, dtype=float)
        return float(-(self.y_true * np.log(self.y_pred)).sum() / len(self.y_pred))

    def backward(self):
        return -self.y_true / self.y_pred / len(self.y_pred)


class SoftmaxCrossEntropyLoss:
    def forward(self, z, y_true):
        z = np.asarray(z, dtype=float)
        self.y_true = np.asarray(y_true, dtype=float)
        shifted = z - z.max(axis=1, keepdims=True)
        log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.y_pred = np.exp(shifted - log_sum)
        return float((self.y_true * (log_sum - shifted)).sum() / len(z))

    def backward(self):
        return (self.y_pred - self.y_true) / len(self.y_pred)


class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, d):
        # --- Calculate partial derivatives (all of them before any update)
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return d

    def parameters(self):
        out = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                out += [(layer.W, layer.dW), (layer.b, layer.db)]
        return out

    def step(self, learn_rate):
        # --- Update weights and biases
        for p, d in self.parameters():
            p -= learn_rate * d


def train(network, loss, data, all_y_trues, *, epochs, lr, batch_size, rng):
    history = []
    for epoch in range(epochs):
        order = rng.permutation(len(data))
        for start in range(0, len(data), batch_size):
            idx = order[start:start + batch_size]
            loss.forward(network.forward(data[idx]), all_y_trues[idx])
            network.backward(loss.backward())
            network.step(lr)
        # --- Calculate total loss at the end of each epoch
        y_preds = network.forward(data)
        history.append(loss.forward(y_preds, all_y_trues))
    return history
