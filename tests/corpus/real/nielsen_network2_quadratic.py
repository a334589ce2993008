"""Port of Michael Nielsen's network2.py (chapter 3) used with cost=QuadraticCost.

Origin: github.com/mnielsen/neural-networks-and-deep-learning, src/network2.py, commit 72db53d750f571bef8804de4a52224e44dcab3a1.
Original mathematics kept verbatim: default_weight_initializer (weights randn / sqrt(n_in), biases randn);
  sigmoid, sigmoid_prime at the cached z; QuadraticCost.fn(a, y) = 0.5 * ||a - y||^2 and
  QuadraticCost.delta(z, a, y) = (a - y) * sigmoid_prime(z); total_cost = sum of fn over the data / len(data);
  update_mini_batch with lmbda = 0: w - (eta / len(mini_batch)) * nabla_w, nabla accumulated sample by sample;
  SGD(..., monitor_training_cost=True): the cost of the whole training set after each epoch.
Changes for the API:
  column vectors become rows (W stored (in, out), b (out,)); draws from rng;
  QuadraticCost.delta's factor sigmoid_prime(z) is the output Sigmoid's backward; MSELoss.backward returns
    the rest, (a - y) with the 1/len(mini_batch) of update_mini_batch; MSELoss.forward is QuadraticCost.fn
    averaged over the samples (total_cost without regularisation);
  update_mini_batch rebinds self.weights; step() updates in place; random.shuffle becomes rng.permutation;
  CrossEntropyCost (network2's default) is the binary cross-entropy of sigmoid outputs, which has no API slot;
    added in the same style: CrossEntropyLoss (categorical, clipped at 1e-12), Softmax, SoftmaxCrossEntropyLoss.
Expected verdict: bug in MSELoss.forward/backward: the quadratic cost carries Nielsen's 1/2 (and sums over the
  outputs), so against the API's mean((a - y)^2) value and gradient are 0.5x for one output (d/2 x for d outputs).
  Also a convention: the epoch loss is the full-data cost after the epoch.
"""
import numpy as np


class QuadraticCost(object):

    @staticmethod
    def fn(a, y):
        """Return the cost associated with an output ``a`` and desired output ``y``."""
        return 0.5*np.linalg.norm(a-y)**2

    @staticmethod
    def delta(a, y):
        """The error (a - y); the sigmoid_prime(z) factor of network2's delta is the Sigmoid layer's."""
        return (a-y)


class MSELoss(object):

    def forward(self, a, y):
        self.a, self.y = np.asarray(a, dtype=float), np.asarray(y, dtype=float)
        return float(sum(QuadraticCost.fn(ai, yi) for ai, yi in zip(self.a, self.y)) / len(self.a))

    def backward(self):
        return QuadraticCost.delta(self.a, self.y) / len(self.a)


def sigmoid(z):
    """The sigmoid function."""
    return 1.0/(1.0+np.exp(-z))


def sigmoid_prime(z):
    """Derivative of the sigmoid function."""
    return sigmoid(z)*(1-sigmoid(z))


class Sigmoid(object):

    def __init__(self):
        self.z = None
        self.y = None

    def forward(self, z):
        self.z = np.asarray(z, dtype=float)
        self.y = sigmoid(self.z)
        return self.y

    def backward(self, delta):
        return delta * sigmoid_prime(self.z)


class Softmax(object):

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
        return np.array([np.diag(a) - np.outer(a, a) for a in s])


class CrossEntropyLoss(object):

    def forward(self, a, y):
        self.a = np.clip(np.asarray(a, dtype=float), 1e-12, 1.0)
        self.y = np.asarray(y, dtype=float)
        return float(np.sum(-self.y*np.log(self.a)) / len(self.a))

    def backward(self):
        return -self.y / self.a / len(self.a)


class SoftmaxCrossEntropyLoss(object):

    def forward(self, z, y):
        z = np.asarray(z, dtype=float)
        self.y = np.asarray(y, dtype=float)
        m = z.max(axis=1, keepdims=True)
        lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        self.a = np.exp(z - lse)
        return float(np.sum(self.y * (lse - z)) / len(z))

    def backward(self):
        return (self.a - self.y) / len(self.a)


class Linear(object):

    def __init__(self, x, y, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        # self.biases = [np.random.randn(y, 1) ...]; self.weights = [np.random.randn(y, x)/np.sqrt(x) ...]
        self.b = rng.standard_normal(y)
        self.W = rng.standard_normal((x, y))/np.sqrt(x)
        self.dW = self.db = self.x = None

    def forward(self, activation):
        self.x = np.asarray(activation, dtype=float)
        return np.dot(self.x, self.W) + self.b

    def backward(self, delta):
        delta = np.asarray(delta, dtype=float)
        nabla_b = np.zeros(self.b.shape)
        nabla_w = np.zeros(self.W.shape)
        for a, d in zip(self.x, delta):
            nabla_b = nabla_b + d
            nabla_w = nabla_w + np.outer(a, d)
        self.dW, self.db = nabla_w, nabla_b
        return np.dot(delta, self.W.T)


class Network(object):

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, a):
        for layer in self.layers:
            a = layer.forward(a)
        return a

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

    def step(self, eta):
        for w, nw in self.parameters():
            w -= eta*nw


def train(network, cost, training_x, training_y, *, epochs, lr, batch_size, rng):
    n = len(training_x)
    training_cost = []
    for j in range(epochs):
        order = rng.permutation(n)
        mini_batches = [order[k:k+batch_size] for k in range(0, n, batch_size)]
        for mini_batch in mini_batches:
            cost.forward(network.forward(training_x[mini_batch]), training_y[mini_batch])
            network.backward(cost.backward())
            network.step(lr)
        # monitor_training_cost
        training_cost.append(cost.forward(network.forward(training_x), training_y))
    return training_cost
