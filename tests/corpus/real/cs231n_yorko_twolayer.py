"""Port of a CS231n assignment 1 solution: TwoLayerNet (cs231n/classifiers/neural_net.py), Yury Kashnitsky's 2019 solutions.

Origin: github.com/Yorko/stanford_cs231n_2019, cs231n/classifiers/neural_net.py, commit fd588c079b4b38b53c2fc1b27ccb597e352c26b1.
Original mathematics kept verbatim: initialisation std * randn with the assignment's default std = 1e-4 for the
  weights and zeros for the biases; the affine forward x.dot(w) + b; the softmax loss by the log-sum-exp trick
  (-correct_class_scores + max_scores + log(sum(exp(scores - max_scores)))) / n; the score gradient
  softmax(scores) with 1 subtracted at the correct class; dw = a.T.dot(d), db = sum over axis 0,
  da = d.dot(w.T); the update params -= learning_rate * grads; the returned per-iteration loss_history.
Changes for the API:
  TwoLayerNet.loss() (forward, loss and backward in one call) is split over Linear / SoftmaxCrossEntropyLoss /
    Network; the 1/n the solution applies to dw1, db1, dw2, db2 is applied once to the score gradient instead
    (dw /= n on every layer equals dividing the score gradient by n);
  targets are one-hot: the integer labels y of the original are np.argmax(target, axis=1);
  L2 regularisation (reg) is dropped (the API has none);
  the in-place `scores -= max_scores` works on a copy (the API forbids modifying inputs);
  the random minibatch np.random.choice(..., replace=False) becomes consecutive slices of rng.permutation(n);
  train() returns, per epoch, the plain mean of that epoch's loss_history entries (one per iteration);
  the ReLU hidden layer has no API slot; added in the solution's style: Sigmoid (forward, backward from the
    output), Softmax (forward, backward, jacobian), MSELoss, CrossEntropyLoss.
Expected verdict: correct (CS231n conventions: N(0, 1e-4^2) weights, argmax targets, plain mean of batch losses).
"""
import numpy as np


class Linear(object):

    def __init__(self, input_size, output_size, rng=None, std=1e-4):
        rng = np.random.default_rng() if rng is None else rng
        self.W = std * rng.standard_normal((input_size, output_size))
        self.b = np.zeros(output_size)
        self.dW = None
        self.db = None
        self.x = None

    def forward(self, x):
        x = np.asarray(x, dtype=float)
        self.x = x
        a1 = x.dot(self.W) + self.b   # shape N x H
        return a1

    def backward(self, d):
        d = np.asarray(d, dtype=float)
        # gradients of loss w.r.t. to weights W
        self.dW = self.x.T.dot(d)
        # gradients of loss w.r.t. to biases b
        self.db = np.sum(d, axis=0)
        # upflow gradient
        return d.dot(self.W.T)


class Sigmoid(object):
    """Added in the solution's style (the original hidden layer is a ReLU)."""

    def __init__(self):
        self.y = None

    def forward(self, a1):
        a1 = np.asarray(a1, dtype=float)
        self.y = 1.0 / (1.0 + np.exp(-a1))
        return self.y

    def backward(self, da):
        return da * self.y * (1 - self.y)


class Softmax(object):
    """Added in the solution's style."""

    def __init__(self):
        self.s = None

    def _probs(self, scores):
        scores = np.asarray(scores, dtype=float)
        max_scores = scores.max(axis=1, keepdims=True)
        e = np.exp(scores - max_scores)
        return e / e.sum(axis=1).reshape(-1, 1)

    def forward(self, scores):
        self.s = self._probs(scores)
        return self.s

    def backward(self, ds):
        ds = np.asarray(ds, dtype=float)
        return self.s * (ds - (ds * self.s).sum(axis=1, keepdims=True))

    def jacobian(self, scores):
        p = self._probs(scores)
        return p[:, :, None] * np.eye(p.shape[1]) - p[:, :, None] * p[:, None, :]


class SoftmaxCrossEntropyLoss(object):

    def forward(self, scores, target):
        scores = np.array(scores, dtype=float)          # a copy: the original subtracts in place
        target = np.asarray(target, dtype=float)
        n = scores.shape[0]
        y = np.argmax(target, axis=1)
        # select in each row i the score at position y[i]
        correct_class_scores = scores[range(scores.shape[0]), y].reshape(-1, 1)
        # applying the log-sum-exp trick
        max_scores = scores.max(axis=1, keepdims=True)
        scores -= max_scores
        # compute softmax loss
        loss = - correct_class_scores.sum() + max_scores.sum() + np.log(np.exp(scores).sum(axis=1)).sum()
        loss /= n
        self.scores, self.y, self.n = scores, y, n
        return float(loss)

    def backward(self):
        scores, y, n = self.scores, self.y, self.n
        softmax_deriv = (np.exp(scores) / np.exp(scores).sum(axis=1).reshape(-1, 1))
        softmax_deriv[range(n), y] -= 1
        # dw2 /= n, db2 /= n, dw1 /= n, db1 /= n of the original, applied once here
        return softmax_deriv / n


class CrossEntropyLoss(object):
    """Added in the solution's style."""

    def forward(self, probs, target):
        self.p = np.clip(np.asarray(probs, dtype=float), 1e-12, 1.0)
        self.t = np.asarray(target, dtype=float)
        return float(-np.sum(self.t * np.log(self.p)) / self.p.shape[0])

    def backward(self):
        return -self.t / self.p / self.p.shape[0]


class MSELoss(object):
    """Added in the solution's style."""

    def forward(self, pred, target):
        self.diff = np.asarray(pred, dtype=float) - np.asarray(target, dtype=float)
        return float(np.mean(self.diff ** 2))

    def backward(self):
        return 2 * self.diff / self.diff.size


class Network(object):

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, d):
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return d

    def parameters(self):
        params = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                params += [(layer.W, layer.dW), (layer.b, layer.db)]
        return params

    def step(self, learning_rate):
        for param, grad in self.parameters():
            param -= learning_rate * grad


def train(network, loss_fn, X, Y, *, epochs, lr, batch_size, rng):
    num_train = X.shape[0]
    history = []
    for epoch in range(epochs):
        loss_history = []
        order = rng.permutation(num_train)
        for start in range(0, num_train, batch_size):
            indexes = order[start:start + batch_size]
            x_batch = X[indexes]
            y_batch = Y[indexes]
            # Compute loss and gradients using the current minibatch
            loss = loss_fn.forward(network.forward(x_batch), y_batch)
            loss_history.append(loss)
            network.backward(loss_fn.backward())
            network.step(lr)
        history.append(float(np.mean(loss_history)))
    return history
