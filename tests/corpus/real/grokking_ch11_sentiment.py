"""Port of Grokking Deep Learning (Andrew Trask), chapter 11, the IMDB sentiment network (embedding + sigmoid).

Origin: github.com/iamtrask/Grokking-Deep-Learning, "Chapter11 - Intro to Word Embeddings - Neural Networks that
  Understand Language.ipynb", the raw cell that trains on the first 24,000 reviews, commit
  e665168b4aefe3256360951504103cf98827ca51 (reported as issue #50 "Ch11 Predicting Movie Reviews - error in back
  propagation code", open).
Original mathematics kept verbatim: weights 0.2 * np.random.random(...) - 0.1 (uniform(-0.1, 0.1));
  layer_1 = sigmoid(sum of embedding rows) (= sigmoid(x_onehot @ weights_0_1)); layer_2 = sigmoid(layer_1 @
  weights_1_2); layer_2_delta = layer_2 - y; layer_1_delta = layer_2_delta.dot(weights_1_2.T) -- the hidden
  error WITHOUT the derivative of the hidden sigmoid; weights -= alpha * (layer input)^T delta.
Changes for the API:
  the embedding lookup weights_0_1[x] summed over the review's words is the Linear forward x_onehot @ W;
  the original has no biases: b is added (zeros), updated like the weights;
  per-review SGD becomes mini-batches of rng.permutation(n); alpha is lr; draws come from rng;
  Network.backward reproduces layer_1_delta = layer_2_delta.dot(weights_1_2.T): a Sigmoid that feeds another layer
    (a hidden one) passes the error back unchanged; the output Sigmoid, if any, keeps its derivative, because the
    API's losses give d loss / d output (the cell's layer_2_delta = layer_2 - y is the logistic-loss error at the
    output pre-activation, which is right for that loss);
  the cell computes no loss value; added in the book's style: Sigmoid.backward (layer * (1 - layer), used only
    at the output), Softmax (forward, backward, jacobian), MSELoss, CrossEntropyLoss, SoftmaxCrossEntropyLoss.
Expected verdict: bug in Network.backward: the hidden error is computed without the hidden activation's derivative.
"""
import numpy as np


def sigmoid(x):
    return 1/(1 + np.exp(-x))


class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.W = 0.2*rng.random((n_in, n_out)) - 0.1
        self.b = np.zeros(n_out)
        self.dW = self.db = self.x = None

    def forward(self, x):
        self.x = np.asarray(x, dtype=float)
        return np.dot(self.x, self.W) + self.b

    def backward(self, delta):
        delta = np.asarray(delta, dtype=float)
        # weights_1_2 -= np.outer(layer_1,layer_2_delta) * alpha
        self.dW = self.x.T.dot(delta)
        self.db = delta.sum(axis=0)
        # layer_1_delta = layer_2_delta.dot(weights_1_2.T) #backprop
        return delta.dot(self.W.T)


class Sigmoid:
    def __init__(self):
        self.y = None

    def forward(self, x):
        self.y = sigmoid(np.asarray(x, dtype=float))
        return self.y

    def backward(self, delta):
        return delta * self.y * (1 - self.y)


class Softmax:
    def __init__(self):
        self.s = None

    def forward(self, x):
        x = np.asarray(x, dtype=float)
        temp = np.exp(x - np.max(x, axis=1, keepdims=True))
        self.s = temp / np.sum(temp, axis=1, keepdims=True)
        return self.s

    def backward(self, delta):
        return self.s * (delta - np.sum(delta * self.s, axis=1, keepdims=True))

    def jacobian(self, x):
        x = np.asarray(x, dtype=float)
        temp = np.exp(x - np.max(x, axis=1, keepdims=True))
        s = temp / np.sum(temp, axis=1, keepdims=True)
        return s[:, :, None] * np.eye(s.shape[1]) - s[:, :, None] * s[:, None, :]


class MSELoss:
    def forward(self, layer_2, goal):
        self.layer_2, self.goal = np.asarray(layer_2, dtype=float), np.asarray(goal, dtype=float)
        return float(np.mean((self.layer_2 - self.goal) ** 2))

    def backward(self):
        return 2 * (self.layer_2 - self.goal) / self.layer_2.size


class CrossEntropyLoss:
    def forward(self, layer_2, goal):
        self.layer_2 = np.clip(np.asarray(layer_2, dtype=float), 1e-12, 1)
        self.goal = np.asarray(goal, dtype=float)
        return float(-np.sum(self.goal * np.log(self.layer_2)) / len(self.layer_2))

    def backward(self):
        return -self.goal / self.layer_2 / len(self.layer_2)


class SoftmaxCrossEntropyLoss:
    def forward(self, z, goal):
        z = np.asarray(z, dtype=float)
        self.goal = np.asarray(goal, dtype=float)
        m = np.max(z, axis=1, keepdims=True)
        lse = m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
        self.layer_2 = np.exp(z - lse)
        return float(np.sum(self.goal * (lse - z)) / len(z))

    def backward(self):
        return (self.layer_2 - self.goal) / len(self.layer_2)


class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, delta):
        last = len(self.layers) - 1
        for i in range(last, -1, -1):
            layer = self.layers[i]
            if isinstance(layer, Sigmoid) and i != last:
                continue  # layer_1_delta = layer_2_delta.dot(weights_1_2.T): no sigmoid derivative
            delta = layer.backward(delta)
        return delta

    def parameters(self):
        out = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                out += [(layer.W, layer.dW), (layer.b, layer.db)]
        return out

    def step(self, alpha):
        for weights, delta in self.parameters():
            weights -= delta * alpha


def train(network, loss, X, Y, *, epochs, lr, batch_size, rng):
    n = len(X)
    history = []
    for iter in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            i = order[start:start + batch_size]
            x, y = (X[i], Y[i])
            total += loss.forward(network.forward(x), y) * len(i)
            network.backward(loss.backward())
            network.step(lr)
        history.append(total / n)
    return history
