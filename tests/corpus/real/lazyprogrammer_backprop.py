"""Port of the LazyProgrammer "Data Science: Deep Learning in Python" course example ann_class/backprop.py.

Origin: github.com/lazyprogrammer/machine_learning_examples, ann_class/backprop.py, commit
  a0c87de5ae683ecf1006efe572523d1cf4e92a6a.
Original mathematics kept verbatim: W1, b1, W2, b2 all drawn from randn (N(0, 1)); Z = 1 / (1 + exp(-X W1 - b1));
  Y = exp(A) / sum(exp(A)) without the max shift; cost(T, Y) = sum(T * log(Y)) -- the log-LIKELIHOOD, summed,
  with no minus sign; derivative_w2 = Z^T (T - Y), derivative_b2 = sum of (T - Y), derivative_w1 =
  X^T ((T - Y) W2^T * Z (1 - Z)) -- the gradient of the log-likelihood, i.e. minus the gradient of the
  cross-entropy, not divided by N; "this is gradient ASCENT, not DESCENT": W2 += learning_rate * derivative_w2;
  and W2 is updated BEFORE derivative_w1(X, hidden, T, output, W2) uses it (the `# oldW2 = W2.copy()` line is
  commented out), so the hidden error goes back through the updated W2.
Changes for the API:
  the derivative_* functions are split over SoftmaxCrossEntropyLoss.backward (T - Y), Linear.backward
    (Z^T delta, sum of delta, delta W^T) and Sigmoid.backward (Z (1 - Z)); forward over Linear / Sigmoid;
  targets are one-hot T (as in the original); draws from rng; full-batch ascent becomes the API's mini-batches of
    rng.permutation(n) with lr in place of learning_rate;
  Network.step is the original's ascent step (param += lr * derivative); train() keeps the original's order,
    updating each layer as soon as its derivative is known and sending the error back through the updated weights;
  SoftmaxCrossEntropyLoss.forward returns cost(T, Y) as the course computes it (its sum of T log Y);
  added in the same style: Softmax (forward as in forward(), backward, jacobian), MSELoss, CrossEntropyLoss
    (API sign and means).
Expected verdict: bug in SoftmaxCrossEntropyLoss.backward + Network.step: the gradient has the wrong sign (T - Y)
  and the step adds it (two sign errors that cancel). Also: train() updates W2 before backpropagating through it;
  the loss value is the summed log-likelihood (wrong sign, not a mean); gradients not divided by N.
"""
import numpy as np


class Linear:
    def __init__(self, D, M, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        # randomly initialize weights
        self.W = rng.standard_normal((D, M))
        self.b = rng.standard_normal(M)
        self.dW = self.db = self.x = None

    def forward(self, X):
        self.x = np.asarray(X, dtype=float)
        return self.x.dot(self.W) + self.b

    def backward(self, delta):
        delta = np.asarray(delta, dtype=float)
        # derivative_w2: Z.T.dot(T - Y); derivative_b2: (T - Y).sum(axis=0)
        self.dW = self.x.T.dot(delta)
        self.db = delta.sum(axis=0)
        # (T - Y).dot(W2.T)
        return delta.dot(self.W.T)


class Sigmoid:
    def __init__(self):
        self.y = None

    def forward(self, A):
        # Z = 1 / (1 + np.exp(-X.dot(W1) - b1))
        self.y = 1 / (1 + np.exp(-np.asarray(A, dtype=float)))
        return self.y

    def backward(self, delta):
        Z = self.y
        return delta * Z * (1 - Z)


class Softmax:
    def __init__(self):
        self.s = None

    def forward(self, A):
        expA = np.exp(np.asarray(A, dtype=float))
        self.s = expA / expA.sum(axis=1, keepdims=True)
        return self.s

    def backward(self, delta):
        return self.s * (delta - (delta * self.s).sum(axis=1, keepdims=True))

    def jacobian(self, A):
        expA = np.exp(np.asarray(A, dtype=float))
        Y = expA / expA.sum(axis=1, keepdims=True)
        return np.array([np.diag(y) - np.outer(y, y) for y in Y])


def cost(T, Y):
    tot = T * np.log(Y)
    return tot.sum()


class SoftmaxCrossEntropyLoss:
    def forward(self, A, T):
        A = np.asarray(A, dtype=float)
        self.T = np.asarray(T, dtype=float)
        expA = np.exp(A)
        self.Y = expA / expA.sum(axis=1, keepdims=True)
        return float(cost(self.T, self.Y))

    def backward(self):
        return self.T - self.Y


class CrossEntropyLoss:
    def forward(self, Y, T):
        self.Y = np.clip(np.asarray(Y, dtype=float), 1e-12, 1)
        self.T = np.asarray(T, dtype=float)
        return float(-(self.T * np.log(self.Y)).sum() / len(self.Y))

    def backward(self):
        return -self.T / self.Y / len(self.Y)


class MSELoss:
    def forward(self, Y, T):
        self.Y, self.T = np.asarray(Y, dtype=float), np.asarray(T, dtype=float)
        return float(((self.Y - self.T) ** 2).mean())

    def backward(self):
        return 2 * (self.Y - self.T) / self.Y.size


class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, X):
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, delta):
        for layer in reversed(self.layers):
            delta = layer.backward(delta)
        return delta

    def parameters(self):
        out = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                out += [(layer.W, layer.dW), (layer.b, layer.db)]
        return out

    def step(self, learning_rate):
        # this is gradient ASCENT, not DESCENT
        for param, derivative in self.parameters():
            param += learning_rate * derivative


def train(network, loss, X, T, *, epochs, lr, batch_size, rng):
    N = len(X)
    costs = []
    for epoch in range(epochs):
        order = rng.permutation(N)
        total = 0.0
        for start in range(0, N, batch_size):
            idx = order[start:start + batch_size]
            output = network.forward(X[idx])
            total += loss.forward(output, T[idx]) * len(idx)
            delta = loss.backward()
            for layer in reversed(network.layers):
                if isinstance(layer, Linear):
                    layer.backward(delta)
                    # W2 += learning_rate * derivative_w2(hidden, T, output)
                    layer.W += lr * layer.dW
                    layer.b += lr * layer.db
                    # W1 += learning_rate * derivative_w1(X, hidden, T, output, W2) -- the updated W2
                    delta = delta.dot(layer.W.T)
                else:
                    delta = layer.backward(delta)
        costs.append(total / N)
    return costs
