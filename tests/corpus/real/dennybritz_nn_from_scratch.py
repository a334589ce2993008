"""Port of Denny Britz's "Implementing a Neural Network from Scratch in Python" (nn-from-scratch).

Origin: github.com/dennybritz/nn-from-scratch, nn_from_scratch.py, commit 1c51ea72a43dbedd1fb1af15fd59d37b985ccc53.
Original mathematics kept verbatim: W1 = randn(in, h) / sqrt(in), b1 = zeros; probs = exp(z2) / sum(exp(z2))
  without the max shift; calculate_loss = 1/num_examples * sum(-log(probs[range(num_examples), y])) -- a MEAN;
  backpropagation delta3 = probs with 1 subtracted at the correct class and NOT divided by num_examples, so the
  gradient is that of the summed loss (num_examples times the gradient of the reported mean);
  dW2 = a1^T delta3, db2 = sum over axis 0, delta2 = delta3 W2^T * f'(a1); W += -epsilon * dW.
Changes for the API:
  build_model's loop body is split over Linear / SoftmaxCrossEntropyLoss / Network / train; the notebook's
    `delta3 = probs` edits the array computed in the same iteration; backward works on a copy of the cached
    probs here (forward and backward are separate calls);
  b is (h,) instead of (1, h); draws from rng; targets one-hot (y = argmax); reg_lambda is dropped;
  full-batch gradient descent becomes mini-batches of rng.permutation(n); train() returns the API's per-epoch mean
    (the original prints calculate_loss every 1000 passes);
  the tanh hidden layer has no API slot; added in the same style: Sigmoid (derivative from the output, like
    the original's 1 - a1^2), Softmax (forward without the max shift like the original, backward, jacobian),
    MSELoss, CrossEntropyLoss (clipped at 1e-12).
Expected verdict: bug in SoftmaxCrossEntropyLoss.backward: the gradient is not divided by the batch size
  (batch-size times too large, e.g. 64x for batches of 64). Also: softmax without the max shift (nan at 1000).
"""
import numpy as np


class Linear:
    def __init__(self, nn_input_dim, nn_hdim, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        # Initialize the parameters to random values. We need to learn these.
        self.W = rng.standard_normal((nn_input_dim, nn_hdim)) / np.sqrt(nn_input_dim)
        self.b = np.zeros(nn_hdim)
        self.dW = self.db = self.x = None

    def forward(self, X):
        self.x = np.asarray(X, dtype=float)
        return self.x.dot(self.W) + self.b

    def backward(self, delta):
        delta = np.asarray(delta, dtype=float)
        self.dW = (self.x.T).dot(delta)
        self.db = np.sum(delta, axis=0)
        return delta.dot(self.W.T)


class Sigmoid:
    def __init__(self):
        self.y = None

    def forward(self, z1):
        self.y = 1 / (1 + np.exp(-np.asarray(z1, dtype=float)))
        return self.y

    def backward(self, delta):
        a1 = self.y
        return delta * (a1 * (1 - a1))


class Softmax:
    def __init__(self):
        self.s = None

    def forward(self, z2):
        exp_scores = np.exp(np.asarray(z2, dtype=float))
        self.s = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        return self.s

    def backward(self, delta):
        return self.s * (delta - np.sum(delta * self.s, axis=1, keepdims=True))

    def jacobian(self, z2):
        exp_scores = np.exp(np.asarray(z2, dtype=float))
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        return np.array([np.diag(p) - np.outer(p, p) for p in probs])


class SoftmaxCrossEntropyLoss:
    def forward(self, z2, target):
        z2 = np.asarray(z2, dtype=float)
        y = np.argmax(target, axis=1)
        num_examples = len(z2)
        exp_scores = np.exp(z2)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        # Calculating the loss
        corect_logprobs = -np.log(probs[range(num_examples), y])
        data_loss = np.sum(corect_logprobs)
        self.probs, self.y = probs, y
        return float(1./num_examples * data_loss)

    def backward(self):
        num_examples = len(self.probs)
        # Backpropagation
        delta3 = self.probs.copy()
        delta3[range(num_examples), self.y] -= 1
        return delta3


class CrossEntropyLoss:
    def forward(self, probs, target):
        self.probs = np.clip(np.asarray(probs, dtype=float), 1e-12, 1)
        self.target = np.asarray(target, dtype=float)
        return float(-np.sum(self.target * np.log(self.probs)) / len(self.probs))

    def backward(self):
        return -self.target / self.probs / len(self.probs)


class MSELoss:
    def forward(self, pred, target):
        self.diff = np.asarray(pred, dtype=float) - np.asarray(target, dtype=float)
        return float(np.mean(np.square(self.diff)))

    def backward(self):
        return 2 * self.diff / self.diff.size


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

    def step(self, epsilon):
        # Gradient descent parameter update
        for W, dW in self.parameters():
            W += -epsilon * dW


def train(network, loss, X, Y, *, epochs, lr, batch_size, rng):
    num_examples = len(X)
    history = []
    for i in range(epochs):
        order = rng.permutation(num_examples)
        total = 0.0
        for start in range(0, num_examples, batch_size):
            idx = order[start:start + batch_size]
            total += loss.forward(network.forward(X[idx]), Y[idx]) * len(idx)
            network.backward(loss.backward())
            network.step(lr)
        history.append(total / num_examples)
    return history
