"""Port of numpy-ml (David Bourgin): FullyConnected, Softmax layer, Sigmoid activation, CrossEntropy / SquaredError.

Origin: github.com/ddbourgin/numpy-ml, numpy_ml/neural_nets/layers/layers.py, activations/activations.py,
  losses/losses.py, utils/utils.py (glorot_uniform), commit b0359af5285fbf9699d64fd5ec059493228af03e.
Original mathematics kept verbatim: FullyConnected with init="glorot_uniform" (U(-b, b), b = sqrt(6 / (fan_in +
  fan_out)), gain 1 for an affine layer) and zero biases, Z = X W + b, dZ = dLdy * act_fn.grad(Z), dX = dZ W^T,
  dW = X^T dZ, dB = sum of dZ; activations.Sigmoid fn 1 / (1 + exp(-z)) and grad fn(x) (1 - fn(x)) at Z;
  layers.Softmax with the max subtracted and the per-sample Jacobian np.diagflat(y) - y y^T in backward;
  CrossEntropy.loss = -sum(y * log(y_pred + eps)), eps = np.finfo(float).eps -- "the sum (not the average!)
  of the losses for each sample" -- and CrossEntropy.grad = y_pred - y with the scaling by the number of
  examples commented out ("# [optional] scale the gradients by the number of examples in the batch
  # n, m = y.shape  # grad /= n"); SquaredError.loss = 0.5 * ||y_pred - y||^2 (a sum), grad = y_pred - y
  (times act_fn.grad(z) = 1 for an identity output); SGD: param - lr * grad.
Changes for the API:
  the activation fused into FullyConnected (act_fn) is a separate Sigmoid layer (same fn and grad at Z);
  CrossEntropy.grad is the gradient with respect to the softmax INPUT: it is SoftmaxCrossEntropyLoss.backward,
    whose forward is CrossEntropy.loss of softmax(z); CrossEntropyLoss.backward (with respect to the
    probabilities, which numpy-ml never computes) is the derivative of the same summed loss, -y / (y_pred + eps);
  numpy-ml accumulates parameter gradients until update() flushes them; the API's backward overwrites, so here
    it does; the list of retained inputs is reduced to the latest one (the API's cache rule);
  W (n_in, n_out), b (n_out,) instead of (1, n_out); draws from rng; Softmax.jacobian stacks the same
    per-sample Jacobians; the API's train loop is added (numpy-ml's models each have their own).
Expected verdict: bug in SoftmaxCrossEntropyLoss / CrossEntropyLoss (forward and backward): a sum over the batch,
  not a mean (gradient batch-size x too large, e.g. 64x). Also MSELoss = SquaredError, 0.5 * the sum of squares.
"""
import numpy as np


def glorot_uniform(weight_shape, rng, gain=1.0):
    fan_in, fan_out = weight_shape
    b = gain * np.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(-b, b, size=weight_shape)


class FullyConnected:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.n_in, self.n_out = n_in, n_out
        b = np.zeros(n_out)
        W = glorot_uniform((n_in, n_out), rng)
        self.parameters = {"W": W, "b": b}
        self.gradients = {"W": None, "b": None}
        self.X = None

    W = property(lambda self: self.parameters["W"], lambda self, v: self.parameters.__setitem__("W", v))
    b = property(lambda self: self.parameters["b"], lambda self, v: self.parameters.__setitem__("b", v))
    dW = property(lambda self: self.gradients["W"])
    db = property(lambda self: self.gradients["b"])
    x = property(lambda self: self.X)

    def forward(self, X):
        self.X = np.asarray(X, dtype=float)
        W = self.parameters["W"]
        b = self.parameters["b"]
        Z = self.X @ W + b
        return Z

    def backward(self, dLdy):
        W = self.parameters["W"]
        dZ = np.asarray(dLdy, dtype=float)   # * act_fn.grad(Z) with act_fn the identity
        dX = dZ @ W.T
        dW = self.X.T @ dZ
        dB = dZ.sum(axis=0)
        self.gradients["W"] = dW
        self.gradients["b"] = dB
        return dX


Linear = FullyConnected


class Sigmoid:
    def __init__(self):
        self.Z = None
        self.y = None

    def fn(self, z):
        return 1 / (1 + np.exp(-z))

    def grad(self, x):
        fn_x = self.fn(x)
        return fn_x * (1 - fn_x)

    def forward(self, Z):
        self.Z = np.asarray(Z, dtype=float)
        self.y = self.fn(self.Z)
        return self.y

    def backward(self, dLdy):
        return dLdy * self.grad(self.Z)


class Softmax:
    def __init__(self, dim=-1):
        self.dim = dim
        self.X = None
        self.s = None

    def _fwd(self, X):
        e_X = np.exp(X - np.max(X, axis=self.dim, keepdims=True))
        return e_X / e_X.sum(axis=self.dim, keepdims=True)

    def forward(self, X):
        self.X = np.asarray(X, dtype=float)
        self.s = self._fwd(self.X)
        return self.s

    def backward(self, dLdy):
        dX = []
        for dyi, xi in zip(*np.atleast_2d(np.asarray(dLdy, dtype=float), self.X)):
            yi = self._fwd(xi.reshape(1, -1)).reshape(-1, 1)
            dyidxi = np.diagflat(yi) - yi @ yi.T  # jacobian wrt. input sample xi
            dX.append(dyi @ dyidxi)
        return np.array(dX).reshape(*self.X.shape)

    def jacobian(self, X):
        X = np.asarray(X, dtype=float)
        out = []
        for xi in X:
            yi = self._fwd(xi.reshape(1, -1)).reshape(-1, 1)
            out.append(np.diagflat(yi) - yi @ yi.T)
        return np.array(out)


class CrossEntropy:
    @staticmethod
    def loss(y, y_pred):
        # prevent taking the log of 0
        eps = np.finfo(float).eps
        cross_entropy = -np.sum(y * np.log(y_pred + eps))
        return cross_entropy

    @staticmethod
    def grad(y, y_pred):
        # derivative of xe wrt z is y_pred - y_true, hence we can just
        # subtract 1 from the probability of the correct class labels
        grad = y_pred - y
        # [optional] scale the gradients by the number of examples in the batch
        # n, m = y.shape
        # grad /= n
        return grad


class SoftmaxCrossEntropyLoss:
    def forward(self, z, y):
        self.y = np.asarray(y, dtype=float)
        self.y_pred = Softmax()._fwd(np.asarray(z, dtype=float))
        return float(CrossEntropy.loss(self.y, self.y_pred))

    def backward(self):
        return CrossEntropy.grad(self.y, self.y_pred)


class CrossEntropyLoss:
    def forward(self, y_pred, y):
        self.y_pred = np.asarray(y_pred, dtype=float)
        self.y = np.asarray(y, dtype=float)
        return float(CrossEntropy.loss(self.y, self.y_pred))

    def backward(self):
        eps = np.finfo(float).eps
        return -self.y / (self.y_pred + eps)


class SquaredError:
    @staticmethod
    def loss(y, y_pred):
        return 0.5 * np.linalg.norm(y_pred - y) ** 2

    @staticmethod
    def grad(y, y_pred):
        return (y_pred - y)


class MSELoss:
    def forward(self, y_pred, y):
        self.y_pred, self.y = np.asarray(y_pred, dtype=float), np.asarray(y, dtype=float)
        return float(SquaredError.loss(self.y, self.y_pred))

    def backward(self):
        return SquaredError.grad(self.y, self.y_pred)


class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, X):
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, dLdy):
        for layer in reversed(self.layers):
            dLdy = layer.backward(dLdy)
        return dLdy

    def parameters(self):
        out = []
        for layer in self.layers:
            if isinstance(layer, FullyConnected):
                out += [(layer.parameters["W"], layer.gradients["W"]),
                        (layer.parameters["b"], layer.gradients["b"])]
        return out

    def step(self, lr):
        # SGD: param - lr * param_grad, written in place
        for param, param_grad in self.parameters():
            param -= lr * param_grad


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
