"""Port of Michael Nielsen's network.py (Neural Networks and Deep Learning, chapter 1).

Origin: github.com/mnielsen/neural-networks-and-deep-learning, src/network.py, commit 72db53d750f571bef8804de4a52224e44dcab3a1.
Original mathematics kept verbatim: sigmoid and sigmoid_prime (sigmoid_prime evaluated at the cached
  pre-activation z, as backprop() does with zs[-l]); weights AND biases drawn from N(0, 1)
  (np.random.randn, no fan-in scaling); the backprop recursion delta = (W_{l+1}^T delta) * sigmoid_prime(z_l),
  nabla_w = delta a_{l-1}^T, nabla_b = delta, accumulated sample by sample over the mini-batch
  (update_mini_batch's `for x, y in mini_batch` loop); the update w - eta * nabla_w; consecutive
  mini-batches of a shuffled training set.
Changes for the API:
  column vectors (n_out, 1) become rows: W is stored (in, out) (the transpose of Nielsen's (out, in)), b is (out,);
  the N(0, 1) draws come from the rng argument instead of np.random;
  the monolithic Network.backprop() is split over Linear.backward / Sigmoid.backward / Network.backward;
  Sigmoid caches its output y as well as z (the API names the y attribute);
  network.py's cost_derivative(a, y) = a - y belongs to the quadratic cost 1/2 ||a - y||^2 with the
    1/len(mini_batch) of update_mini_batch; the API's MSELoss is mean((a - y)^2), so MSELoss (forward and
    backward) is written to the API here, not taken from network.py;
  the 1/len(mini_batch) factor of update_mini_batch lives in the losses' gradients (they are means);
  update_mini_batch rebinds self.weights to new arrays; step() updates in place as the API requires;
  random.shuffle(training_data) becomes order = rng.permutation(n);
  SGD() prints instead of returning: train() returns the API's per-epoch loss (batch losses weighted by size);
  added (not in network.py), written in the same style: Softmax (forward, backward, jacobian),
    CrossEntropyLoss (clipped at 1e-12), SoftmaxCrossEntropyLoss.
Expected verdict: correct (inherits network.py's sigmoid 1/(1+exp(-z)), which overflows with a RuntimeWarning
  for z = -1000; the value is still the exact 0.0).
"""
import numpy as np


#### Miscellaneous functions
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
        z = np.asarray(z, dtype=float)
        self.z = z
        self.y = sigmoid(z)
        return self.y

    def backward(self, delta):
        # delta = np.dot(self.weights[-l+1].transpose(), delta) * sp, with sp = sigmoid_prime(z)
        return np.asarray(delta, dtype=float) * sigmoid_prime(self.z)


class Softmax(object):
    """Added (not in network.py)."""

    def __init__(self):
        self.s = None

    def forward(self, z):
        z = np.asarray(z, dtype=float)
        e = np.exp(z - np.max(z, axis=1, keepdims=True))
        self.s = e / np.sum(e, axis=1, keepdims=True)
        return self.s

    def backward(self, delta):
        delta = np.asarray(delta, dtype=float)
        return self.s * (delta - np.sum(delta * self.s, axis=1, keepdims=True))

    def jacobian(self, z):
        z = np.asarray(z, dtype=float)
        e = np.exp(z - np.max(z, axis=1, keepdims=True))
        s = e / np.sum(e, axis=1, keepdims=True)
        return np.array([np.diag(a) - np.outer(a, a) for a in s])


class Linear(object):

    def __init__(self, in_features, out_features, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        # self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        # self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]
        self.W = rng.standard_normal((in_features, out_features))
        self.b = rng.standard_normal(out_features)
        self.dW = None
        self.db = None
        self.x = None

    def forward(self, a):
        a = np.asarray(a, dtype=float)
        self.x = a
        return np.dot(a, self.W) + self.b

    def backward(self, delta):
        delta = np.asarray(delta, dtype=float)
        nabla_b = np.zeros(self.b.shape)
        nabla_w = np.zeros(self.W.shape)
        for activation, d in zip(self.x, delta):
            # nabla_b[-l] = delta; nabla_w[-l] = np.dot(delta, activations[-l-1].transpose())
            nabla_b = nabla_b + d
            nabla_w = nabla_w + np.outer(activation, d)
        self.dW = nabla_w
        self.db = nabla_b
        return np.dot(delta, self.W.T)


class MSELoss(object):
    """Written to the API (network.py's quadratic cost is 1/2 ||a - y||^2)."""

    def forward(self, output_activations, y):
        self.a = np.asarray(output_activations, dtype=float)
        self.t = np.asarray(y, dtype=float)
        return float(np.mean((self.a - self.t) ** 2))

    def backward(self):
        return 2.0 * (self.a - self.t) / self.a.size


class CrossEntropyLoss(object):
    """Added (not in network.py)."""

    def forward(self, probs, y):
        self.p = np.clip(np.asarray(probs, dtype=float), 1e-12, 1.0)
        self.t = np.asarray(y, dtype=float)
        return float(-np.sum(self.t * np.log(self.p)) / self.p.shape[0])

    def backward(self):
        return -self.t / self.p / self.p.shape[0]


class SoftmaxCrossEntropyLoss(object):
    """Added (not in network.py)."""

    def forward(self, z, y):
        z = np.asarray(z, dtype=float)
        self.t = np.asarray(y, dtype=float)
        shifted = z - np.max(z, axis=1, keepdims=True)
        log_sum = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        self.p = np.exp(shifted - log_sum)
        return float(np.sum(self.t * (log_sum - shifted)) / z.shape[0])

    def backward(self):
        return (self.p - self.t) / self.p.shape[0]


class Network(object):

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, a):
        """Return the output of the network if ``a`` is input."""
        for layer in self.layers:
            a = layer.forward(a)
        return a

    def backward(self, delta):
        for layer in reversed(self.layers):
            delta = layer.backward(delta)
        return delta

    def parameters(self):
        pairs = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                pairs.append((layer.W, layer.dW))
                pairs.append((layer.b, layer.db))
        return pairs

    def step(self, eta):
        # self.weights = [w-(eta/len(mini_batch))*nw for w, nw in zip(self.weights, nabla_w)]
        for w, nw in self.parameters():
            w -= eta * nw


def train(network, loss, X, Y, *, epochs, lr, batch_size, rng):
    n = len(X)
    history = []
    for j in range(epochs):
        order = rng.permutation(n)
        mini_batches = [order[k:k+batch_size] for k in range(0, n, batch_size)]
        total = 0.0
        for mini_batch in mini_batches:
            value = loss.forward(network.forward(X[mini_batch]), Y[mini_batch])
            network.backward(loss.backward())
            network.step(lr)
            total += value * len(mini_batch)
        history.append(total / n)
    return history
