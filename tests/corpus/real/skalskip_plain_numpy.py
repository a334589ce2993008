"""Port of Piotr Skalski's "Let's code a Neural Network in plain NumPy" (ILearnDeepLearning.py).

Origin: github.com/SkalskiP/ILearnDeepLearning.py, 01_mysteries_of_neural_networks/04_optimizers/fully_connected_nn.py
  (the article's implementation), commit 4ace9d36a94c028e7eb0cc5c3b4ff7dc1ed9f4a7.
Original mathematics kept verbatim: init_layers: W = randn(out, in) * 0.1 AND b = randn(out, 1) * 0.1;
  Z = W A_prev + b; sigmoid 1 / (1 + exp(-Z)); sigmoid_backward(dA, Z) = dA * sig * (1 - sig) with sig =
  sigmoid(Z) at the cached Z; single_layer_backward_propagation: dW = dZ A_prev^T / m, db = sum(dZ) / m,
  dA_prev = W^T dZ; update: params -= learning_rate * grads.
Changes for the API:
  the article works on X.T (features x samples): here samples are rows, W is stored (in, out) and b is (out,);
  draws come from rng (rng.standard_normal * 0.1);
  the 1/m the article applies in every layer's dW and db is applied once to the loss gradient instead (the
    product is the same; the API's Linear.backward sums over the batch and its losses are means);
  the article's only loss is the binary cross-entropy of a sigmoid output (get_cost_value with eps = 0.001),
    which has no API slot; added in the article's style: MSELoss, CrossEntropyLoss (clipped at 1e-12),
    SoftmaxCrossEntropyLoss, and Softmax (forward, backward, jacobian);
  full-batch epochs become the API's mini-batches of rng.permutation(n); cost_history (the full-batch cost
    before each update) becomes the API's per-epoch mean of the batch losses.
Expected verdict: correct (conventions: N(0, 0.1^2) weights AND biases; 1/m applied per layer in the original;
  sigmoid overflows with a RuntimeWarning at -1000).
"""
import numpy as np


def sigmoid(Z):
    return 1/(1+np.exp(-Z))


def sigmoid_backward(dA, Z):
    sig = sigmoid(Z)
    return dA * sig * (1 - sig)


class Linear:
    def __init__(self, layer_input_size, layer_output_size, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.W = rng.standard_normal((layer_input_size, layer_output_size)) * 0.1
        self.b = rng.standard_normal(layer_output_size) * 0.1
        self.dW = self.db = self.x = None

    def forward(self, A_prev):
        self.x = np.asarray(A_prev, dtype=float)
        Z_curr = np.dot(self.x, self.W) + self.b
        return Z_curr

    def backward(self, dZ_curr):
        dZ_curr = np.asarray(dZ_curr, dtype=float)
        self.dW = np.dot(self.x.T, dZ_curr)
        self.db = np.sum(dZ_curr, axis=0)
        dA_prev = np.dot(dZ_curr, self.W.T)
        return dA_prev


class Sigmoid:
    def __init__(self):
        self.Z = None
        self.y = None

    def forward(self, Z_curr):
        self.Z = np.asarray(Z_curr, dtype=float)
        self.y = sigmoid(self.Z)
        return self.y

    def backward(self, dA_curr):
        return sigmoid_backward(dA_curr, self.Z)


class Softmax:
    def __init__(self):
        self.s = None

    @staticmethod
    def _softmax(Z):
        e = np.exp(Z - np.max(Z, axis=1, keepdims=True))
        return e / np.sum(e, axis=1, keepdims=True)

    def forward(self, Z_curr):
        self.s = self._softmax(np.asarray(Z_curr, dtype=float))
        return self.s

    def backward(self, dA_curr):
        return self.s * (dA_curr - np.sum(dA_curr * self.s, axis=1, keepdims=True))

    def jacobian(self, Z_curr):
        s = self._softmax(np.asarray(Z_curr, dtype=float))
        return np.array([np.diag(r) - np.outer(r, r) for r in s])


class MSELoss:
    def forward(self, Y_hat, Y):
        self.Y_hat, self.Y = np.asarray(Y_hat, dtype=float), np.asarray(Y, dtype=float)
        return float(np.mean((self.Y_hat - self.Y) ** 2))

    def backward(self):
        m = self.Y_hat.shape[0]
        # the 1/m of single_layer_backward_propagation, once, here
        return 2 * (self.Y_hat - self.Y) / self.Y_hat.shape[1] / m


class CrossEntropyLoss:
    def forward(self, Y_hat, Y):
        self.Y_hat = np.clip(np.asarray(Y_hat, dtype=float), 1e-12, 1)
        self.Y = np.asarray(Y, dtype=float)
        m = self.Y_hat.shape[0]
        return float(-1 / m * np.sum(self.Y * np.log(self.Y_hat)))

    def backward(self):
        m = self.Y_hat.shape[0]
        return - np.divide(self.Y, self.Y_hat) / m


class SoftmaxCrossEntropyLoss:
    def forward(self, Z, Y):
        Z = np.asarray(Z, dtype=float)
        self.Y = np.asarray(Y, dtype=float)
        m = Z.shape[0]
        shifted = Z - np.max(Z, axis=1, keepdims=True)
        log_sum = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        self.Y_hat = np.exp(shifted - log_sum)
        return float(-1 / m * np.sum(self.Y * (shifted - log_sum)))

    def backward(self):
        m = self.Y_hat.shape[0]
        return (self.Y_hat - self.Y) / m


class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, X):
        A_curr = X
        for layer in self.layers:
            A_curr = layer.forward(A_curr)
        return A_curr

    def backward(self, dA_prev):
        for layer in reversed(self.layers):
            dA_prev = layer.backward(dA_prev)
        return dA_prev

    def parameters(self):
        params_values = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                params_values += [(layer.W, layer.dW), (layer.b, layer.db)]
        return params_values

    def step(self, learning_rate):
        for param, grad in self.parameters():
            param -= learning_rate * grad


def train(network, loss, X, Y, *, epochs, lr, batch_size, rng):
    cost_history = []
    n = len(X)
    for i in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            Y_hat = network.forward(X[idx])
            cost = loss.forward(Y_hat, Y[idx])
            total += cost * len(idx)
            network.backward(loss.backward())
            network.step(lr)
        cost_history.append(total / n)
    return cost_history
