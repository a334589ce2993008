"""Port of a CS231n assignment 2 solution: modular layers (cs231n/layers.py) and TwoLayerNet (classifiers/fc_net.py).

Origin: github.com/kaiweihuang/CS231n, assignment2/cs231n/layers.py and assignment2/cs231n/classifiers/fc_net.py,
  commit 5779458f336e070b50cdf6a11e0044e5ac439361.
Original mathematics kept verbatim: affine_forward (x reshaped to rows, x.dot(w) + b, cache (x, w, b));
  affine_backward (db = sum over axis 0, dw = x.T.dot(dout), dx = dout.dot(w.T)); the course's softmax_loss
  (probs = exp(x - max) / sum, loss = -sum(log(probs[arange(N), y])) / N, dx = probs.copy(), dx[arange(N), y] -= 1,
  dx /= N); TwoLayerNet's initialisation weight_scale * randn with the default weight_scale = 1e-3 and zero
  biases; the Solver's 'sgd' update rule w -= learning_rate * dw.
Changes for the API:
  the (out, cache) functional layers are wrapped in classes that keep the cache on self;
  targets are one-hot: the integer labels y are np.argmax(target, axis=1);
  reg (L2) is dropped; the Solver's random minibatches become consecutive slices of rng.permutation(n);
  train() returns the API's per-epoch mean (batch losses weighted by batch size) instead of Solver.loss_history;
  the ReLU layer has no API slot; added in the same functional style: sigmoid_forward / sigmoid_backward,
    softmax_forward / softmax_backward / softmax_jacobian, mse_loss, cross_entropy_loss (clipped at 1e-12).
Expected verdict: correct (CS231n conventions: N(0, 1e-3^2) weights, argmax targets, softmax_loss takes log of
  the probabilities, which is -inf for a probability that underflows to 0).
"""
import numpy as np


def affine_forward(x, w, b):
    N = x.shape[0]
    x_unravelled = x.reshape(N, -1)
    out = x_unravelled.dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    x_unravelled = x.reshape(N, -1)
    db = np.sum(dout, axis=0)
    dw = x_unravelled.T.dot(dout)
    dx = dout.dot(w.T).reshape(x.shape)
    return dx, dw, db


def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    cache = out
    return out, cache


def sigmoid_backward(dout, cache):
    out = cache
    dx = dout * out * (1 - out)
    return dx


def softmax_forward(x):
    probs = np.exp(x - np.max(x, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    return probs, probs


def softmax_backward(dout, cache):
    probs = cache
    return probs * (dout - np.sum(dout * probs, axis=1, keepdims=True))


def softmax_jacobian(x):
    probs, _ = softmax_forward(x)
    N, C = probs.shape
    J = np.zeros((N, C, C))
    for i in range(N):
        J[i] = np.diag(probs[i]) - np.outer(probs[i], probs[i])
    return J


def softmax_loss(x, y):
    probs = np.exp(x - np.max(x, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    N = x.shape[0]
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


def mse_loss(x, t):
    N = x.size
    loss = np.sum((x - t) ** 2) / N
    dx = 2 * (x - t) / N
    return loss, dx


def cross_entropy_loss(p, t):
    p = np.clip(p, 1e-12, 1)
    N = p.shape[0]
    loss = -np.sum(t * np.log(p)) / N
    dx = -t / p / N
    return loss, dx


class Linear(object):

    def __init__(self, input_dim, output_dim, rng=None, weight_scale=1e-3):
        rng = np.random.default_rng() if rng is None else rng
        self.W = weight_scale * rng.standard_normal((input_dim, output_dim))
        self.b = np.zeros(output_dim)
        self.dW = self.db = self.x = None
        self.cache = None

    def forward(self, x):
        x = np.asarray(x, dtype=float)
        self.x = x
        out, self.cache = affine_forward(x, self.W, self.b)
        return out

    def backward(self, dout):
        dx, self.dW, self.db = affine_backward(np.asarray(dout, dtype=float), self.cache)
        return dx


class Sigmoid(object):

    def __init__(self):
        self.y = None

    def forward(self, x):
        self.y, self.cache = sigmoid_forward(np.asarray(x, dtype=float))
        return self.y

    def backward(self, dout):
        return sigmoid_backward(np.asarray(dout, dtype=float), self.cache)


class Softmax(object):

    def __init__(self):
        self.s = None

    def forward(self, x):
        self.s, self.cache = softmax_forward(np.asarray(x, dtype=float))
        return self.s

    def backward(self, dout):
        return softmax_backward(np.asarray(dout, dtype=float), self.cache)

    def jacobian(self, x):
        return softmax_jacobian(np.asarray(x, dtype=float))


class _Loss(object):
    fn = None

    def forward(self, x, target):
        loss, self.dx = type(self).fn(np.asarray(x, dtype=float), np.asarray(target, dtype=float))
        return float(loss)

    def backward(self):
        return self.dx


class SoftmaxCrossEntropyLoss(_Loss):

    def forward(self, x, target):
        y = np.argmax(np.asarray(target), axis=1)
        loss, self.dx = softmax_loss(np.asarray(x, dtype=float), y)
        return float(loss)


class MSELoss(_Loss):
    fn = staticmethod(mse_loss)


class CrossEntropyLoss(_Loss):
    fn = staticmethod(cross_entropy_loss)


class Network(object):

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, X):
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def parameters(self):
        params = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                params.append((layer.W, layer.dW))
                params.append((layer.b, layer.db))
        return params

    def step(self, learning_rate):
        # sgd(w, dw, config): w -= config['learning_rate'] * dw
        for w, dw in self.parameters():
            w -= learning_rate * dw


def train(model, loss, X, y, *, epochs, lr, batch_size, rng):
    num_train = X.shape[0]
    history = []
    for epoch in range(epochs):
        order = rng.permutation(num_train)
        total = 0.0
        for start in range(0, num_train, batch_size):
            batch_mask = order[start:start + batch_size]
            X_batch = X[batch_mask]
            y_batch = y[batch_mask]
            value = loss.forward(model.forward(X_batch), y_batch)
            model.backward(loss.backward())
            model.step(lr)
            total += value * len(batch_mask)
        history.append(total / num_train)
    return history
