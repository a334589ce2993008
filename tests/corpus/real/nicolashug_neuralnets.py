"""Port of Nicolas Hug's "neuralnets" (a basic, gradient-checked NN library for Python 3).

Origin: github.com/NicolasHug/Neural-nets, neuralnets/neural_nets.py and neuralnets/utils.py,
  commit 5cdc27cd52a5089844a2ad10e3e223410b37432e.
Original mathematics kept verbatim: init_params with init_strat='He' (randn * sqrt(2 / n_in), zero biases);
  sigmoid 1 / (1 + exp(-x)) and sigmoid_deriv evaluated at the cached pre-activation Z; softmax with the
  per-sample max subtracted; backward: dZ_L = A_L - y ("works with both log loss and cross-entropy"),
  dW = dZ A_prev^T, db = sum of dZ, dA_prev = W^T dZ, dZ = activation_deriv(Z) * dA; sgd: W -= lr * dW;
  cross_entropy_loss = -1/n * sum(y * log(y_hat)) (no clipping); fit()'s loss history: the loss of the WHOLE
  training set recomputed after each epoch (self.losses.append(compute_loss(forward(X), y))).
Changes for the API:
  the library works on X.T (features x samples); here samples are rows, so W is stored (in, out);
  the 1/n the original puts in dW and db (dW = 1/n * dZ.dot(A.T)) is applied once to dZ_L in the loss gradient
    (the product is the same; the API's Linear.backward sums over the batch);
  dropout (default keep-probability 1), L2 (lambda_reg=0), Adam and gradient checking are dropped;
  get_batches' np.random.permutation becomes rng.permutation(n) (same consecutive batches);
  weights drawn with rng.standard_normal;
  added in the library's style: Softmax.backward / jacobian (the library only uses softmax fused with the loss),
    MSELoss, CrossEntropyLoss.backward (-y / y_hat / n, the derivative of its unclipped forward).
Expected verdict: correct (conventions: He init; epoch loss = full-data loss after the epoch, not the mean of the
  batch losses; cross-entropy without clipping, so a zero probability on the true class gives inf).
"""
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_deriv(x):
    return sigmoid(x) * (1 - sigmoid(x))


def softmax(x):  # with numerical stability, as suggested in Karpathy's notes.
    x = x - np.max(x, axis=1, keepdims=True)  # -= would make it inplace
    return np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)


class Linear:

    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        # init_strat == 'He'
        self.W = rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)
        self.b = np.zeros(n_out)
        self.dW = self.db = self.x = None

    def forward(self, A_prev):
        self.x = np.asarray(A_prev, dtype=float)
        return self.x.dot(self.W) + self.b

    def backward(self, dZ):
        dZ = np.asarray(dZ, dtype=float)
        self.dW = self.x.T.dot(dZ)
        self.db = np.sum(dZ, axis=0)
        return dZ.dot(self.W.T)


class Sigmoid:

    def __init__(self):
        self.Z = None
        self.y = None

    def forward(self, Z):
        self.Z = np.asarray(Z, dtype=float)
        self.y = sigmoid(self.Z)
        return self.y

    def backward(self, dAl):
        dAdZ = sigmoid_deriv(self.Z)
        return dAdZ * dAl


class Softmax:

    def __init__(self):
        self.s = None

    def forward(self, Z):
        self.s = softmax(np.asarray(Z, dtype=float))
        return self.s

    def backward(self, dA):
        return self.s * (dA - np.sum(dA * self.s, axis=1, keepdims=True))

    def jacobian(self, Z):
        s = softmax(np.asarray(Z, dtype=float))
        return s[:, :, None] * np.eye(s.shape[1])[None] - s[:, :, None] * s[:, None, :]


class CrossEntropyLoss:

    def forward(self, y_hat, y):
        self.y_hat = np.asarray(y_hat, dtype=float)
        self.y = np.asarray(y, dtype=float)
        n = self.y_hat.shape[0]
        loss = - 1 / n * np.sum(self.y * np.log(self.y_hat))
        return float(loss)

    def backward(self):
        n = self.y_hat.shape[0]
        return - self.y / self.y_hat / n


class SoftmaxCrossEntropyLoss:

    def forward(self, Z, y):
        self.A = softmax(np.asarray(Z, dtype=float))
        self.y = np.asarray(y, dtype=float)
        n = self.A.shape[0]
        loss = - 1 / n * np.sum(self.y * np.log(self.A))
        return float(loss)

    def backward(self):
        n = self.A.shape[0]
        dZ = self.A - self.y  # works with both log loss and cross-entropy
        return 1 / n * dZ


class MSELoss:

    def forward(self, y_hat, y):
        self.y_hat = np.asarray(y_hat, dtype=float)
        self.y = np.asarray(y, dtype=float)
        return float(np.mean((self.y_hat - self.y) ** 2))

    def backward(self):
        return 2 / self.y_hat.size * (self.y_hat - self.y)


class Network:

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, X):
        A = X
        for layer in self.layers:
            A = layer.forward(A)
        return A

    def backward(self, dZ):
        for layer in reversed(self.layers):
            dZ = layer.backward(dZ)
        return dZ

    def parameters(self):
        params = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                params.append((layer.W, layer.dW))
                params.append((layer.b, layer.db))
        return params

    def step(self, lr):
        '''SGD step.'''
        for W, dW in self.parameters():
            W -= lr * dW


def train(network, compute_loss, X, y, *, epochs, lr, batch_size, rng):
    losses = []
    for current_epoch in range(epochs):
        # Shuffle training set
        index = rng.permutation(X.shape[0])
        for k in range(0, X.shape[0], batch_size):
            b = index[k:k + batch_size]
            y_hat = network.forward(X[b])
            compute_loss.forward(y_hat, y[b])
            network.backward(compute_loss.backward())
            network.step(lr)

        # Compute loss at the end of each epoch
        y_hat = network.forward(X)
        loss = compute_loss.forward(y_hat, y)
        losses.append(loss)
    return losses
