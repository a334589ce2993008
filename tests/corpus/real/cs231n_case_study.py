"""Port of the CS231n course notes' "Putting it together: minimal Neural Network case study" (Karpathy).

Origin: github.com/cs231n/cs231n.github.io, neural-networks-case-study.md ("Training a Neural Network" full code),
  commit 3d84654b14608fbccdff2393485631aaacfc9dab (file last changed in 54f1102addd079b7c279853b29a70c692920685b).
Original mathematics kept verbatim: W = 0.01 * np.random.randn(D, h), b = np.zeros((1, h)); scores =
  np.dot(hidden_layer, W2) + b2; probs = exp(scores) / sum(exp(scores)) WITHOUT subtracting the row maximum;
  data_loss = sum(-log(probs[range(num_examples), y])) / num_examples; dscores = probs with 1 subtracted at the
  correct class, divided by num_examples; dW2 = hidden_layer.T @ dscores, db2 = sum over axis 0, dhidden =
  dscores @ W2.T; the update W += -step_size * dW.
Changes for the API:
  the training loop body is split over Linear / SoftmaxCrossEntropyLoss / Network / train;
  the notes' `dscores = probs` edits the array the loss computed in the same iteration; here forward and
    backward are separate calls, so backward works on a copy of the cached probs (otherwise a second
    backward() would see the already-edited array);
  biases are (h,) instead of (1, h) and are drawn/initialised through rng;
  targets are one-hot: y = np.argmax(target, axis=1); reg is dropped;
  full-batch gradient descent becomes the API's mini-batch loop over rng.permutation(n);
  train() returns the API's per-epoch mean (the notes print the loss every 1000 iterations);
  the ReLU layer has no API slot; added in the same style: Sigmoid, Softmax (forward without max shift like the
    notes, backward, jacobian), MSELoss, CrossEntropyLoss (clipped at 1e-12).
Expected verdict: correct, but not stable: softmax without the max shift gives inf/inf = nan for logits of 1000
  (the notes' data never needs it). A stability deviation, not a composition bug.
"""
import numpy as np


class Linear(object):

    def __init__(self, D, h, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.W = 0.01 * rng.standard_normal((D, h))
        self.b = np.zeros(h)
        self.dW = self.db = self.x = None

    def forward(self, X):
        X = np.asarray(X, dtype=float)
        self.x = X
        return np.dot(X, self.W) + self.b

    def backward(self, dscores):
        dscores = np.asarray(dscores, dtype=float)
        self.dW = np.dot(self.x.T, dscores)
        self.db = np.sum(dscores, axis=0)
        return np.dot(dscores, self.W.T)


class Sigmoid(object):

    def __init__(self):
        self.y = None

    def forward(self, X):
        self.y = 1.0 / (1.0 + np.exp(-np.asarray(X, dtype=float)))
        return self.y

    def backward(self, dhidden):
        return dhidden * self.y * (1 - self.y)


class Softmax(object):

    def __init__(self):
        self.s = None

    def forward(self, scores):
        exp_scores = np.exp(np.asarray(scores, dtype=float))
        self.s = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        return self.s

    def backward(self, dprobs):
        return self.s * (dprobs - np.sum(dprobs * self.s, axis=1, keepdims=True))

    def jacobian(self, scores):
        exp_scores = np.exp(np.asarray(scores, dtype=float))
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        return np.einsum('ij,jk->ijk', probs, np.eye(probs.shape[1])) - np.einsum('ij,ik->ijk', probs, probs)


class SoftmaxCrossEntropyLoss(object):

    def forward(self, scores, target):
        scores = np.asarray(scores, dtype=float)
        y = np.argmax(target, axis=1)
        num_examples = scores.shape[0]
        # compute the class probabilities
        exp_scores = np.exp(scores)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)  # [N x K]
        # compute the loss: average cross-entropy loss
        correct_logprobs = -np.log(probs[range(num_examples), y])
        data_loss = np.sum(correct_logprobs) / num_examples
        self.probs, self.y = probs, y
        return float(data_loss)

    def backward(self):
        num_examples = self.probs.shape[0]
        # compute the gradient on scores
        dscores = self.probs.copy()
        dscores[range(num_examples), self.y] -= 1
        dscores /= num_examples
        return dscores


class CrossEntropyLoss(object):

    def forward(self, probs, target):
        self.probs = np.clip(np.asarray(probs, dtype=float), 1e-12, 1)
        self.target = np.asarray(target, dtype=float)
        return float(np.sum(-self.target * np.log(self.probs)) / self.probs.shape[0])

    def backward(self):
        return -self.target / self.probs / self.probs.shape[0]


class MSELoss(object):

    def forward(self, pred, target):
        self.diff = np.asarray(pred, dtype=float) - np.asarray(target, dtype=float)
        return float(np.sum(self.diff ** 2) / self.diff.size)

    def backward(self):
        return 2 * self.diff / self.diff.size


class Network(object):

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, X):
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, dscores):
        for layer in reversed(self.layers):
            dscores = layer.backward(dscores)
        return dscores

    def parameters(self):
        out = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                out.append((layer.W, layer.dW))
                out.append((layer.b, layer.db))
        return out

    def step(self, step_size):
        # perform a parameter update
        for W, dW in self.parameters():
            W += -step_size * dW


def train(network, loss, X, Y, *, epochs, lr, batch_size, rng):
    num_examples = X.shape[0]
    history = []
    for i in range(epochs):
        order = rng.permutation(num_examples)
        total = 0.0
        for start in range(0, num_examples, batch_size):
            idx = order[start:start + batch_size]
            value = loss.forward(network.forward(X[idx]), Y[idx])
            network.backward(loss.backward())
            network.step(lr)
            total += value * len(idx)
        history.append(total / num_examples)
    return history
