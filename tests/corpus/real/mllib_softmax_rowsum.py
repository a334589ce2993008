"""Port of RoboticsClubIITJ's ML-DL-implementation "MLlib" neural-network pieces, as merged in PR #153 (March 2021).

Origin: github.com/RoboticsClubIITJ/ML-DL-implementation, MLlib/activations.py (Sigmoid, Softmax),
  MLlib/nn/layers/linear.py, MLlib/loss_func.py (MeanSquaredError), MLlib/optim/sgd.py (SGD), commit
  1a8122ae68977117bbb784b6f753fd87ee8ac62a (merge of pull request #153 "Fixed Softmax function's backward pass").
Original mathematics kept verbatim: Softmax.forward e_x = exp(input) / sum over axis 1 (no max shift);
  Softmax.backward builds each sample's full Jacobian (o = -out[..., None] * out[:, None, :], diagonal
  out * (1 - out)) and then takes grad_o = o.sum(axis=1) -- the Jacobian summed over its rows, which is zero --
  times grad_output; Sigmoid 1 / (1 + exp(-x)) with backward o (1 - o) grad_output; Linear weights and bias from
  Tensor.randn (N(0, 1)), x @ W^T + b; MeanSquaredError forward sum((p - t)^2) / (2 * batch_size), backward
  (p - t) / batch_size; SGD param = param - lr * grad.
Changes for the API:
  the autograd Tensor/Function machinery is replaced by explicit forward/backward methods computing the same
    formulas (ctx.save_for_backward -> attributes); W is stored (in, out) (the transpose of MLlib's (out, in));
    draws from rng;
  Softmax.jacobian: the Jacobian `o` that backward builds (correct) -- the bug is in what backward does with it;
  MLlib has no training loop at this commit and no cross-entropy Function; added in the same style:
    CrossEntropyLoss (clipped at 1e-12), SoftmaxCrossEntropyLoss, Network, train (the API's loop).
Expected verdict: bug in Softmax.backward: the softmax Jacobian is summed over its rows (all zeros) and multiplied
  by the incoming gradient. Also: MeanSquaredError carries a 1/2 (0.5x); softmax without the max shift.
"""
import numpy as np


class Sigmoid:

    def __init__(self):
        self.y = None

    def forward(self, input):
        output = 1 / (1 + np.exp(-np.asarray(input, dtype=float)))
        self.y = output          # ctx.save_for_backward(output)
        return output

    def backward(self, grad_output):
        o = self.y
        grad_o = o * (1 - o) * grad_output
        return grad_o


class Softmax:

    def __init__(self):
        self.s = None

    @staticmethod
    def _forward(input):
        e_x = np.exp(input)
        output = e_x / np.sum(e_x, axis=1, keepdims=True)
        # axis=1 because we don't want to compute across batch dimension
        return output

    @staticmethod
    def _jacobian(output):
        o = -output[..., None] * output[:, None, :]
        diag_x, diag_y = np.diag_indices_from(o[0])
        o[:, diag_y, diag_x] = output * (1.0 - output)
        return o

    def forward(self, input):
        input = np.asarray(input, dtype=float)
        if len(input.shape) != 2:
            raise RuntimeError("Expected a batch of data of size (m, classes)"
                               ", got {}".format(input.shape))
        self.s = self._forward(input)
        return self.s

    def backward(self, grad_output):
        output = self.s
        o = self._jacobian(output)
        grad_o = o.sum(axis=1)
        grad_o = grad_o * grad_output
        return grad_o

    def jacobian(self, input):
        return self._jacobian(self._forward(np.asarray(input, dtype=float)))


class Linear:

    def __init__(self, in_features, out_features, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.b = rng.standard_normal(out_features)
        self.W = rng.standard_normal((in_features, out_features))
        self.dW = self.db = self.x = None

    def forward(self, x):
        self.x = np.asarray(x, dtype=float)
        return (self.x @ self.W) + self.b

    def backward(self, grad):
        grad = np.asarray(grad, dtype=float)
        self.dW = self.x.T @ grad
        self.db = grad.sum(axis=0)
        return grad @ self.W.T


class MSELoss:
    """MeanSquaredError."""

    def forward(self, prediction, target):
        prediction = np.asarray(prediction, dtype=float)
        target = np.asarray(target, dtype=float)
        batch_size = target.shape[0]
        out = prediction - target
        self.derivative_core = out
        out = np.sum(np.power(out, 2)) / (2*batch_size)
        return float(out)

    def backward(self):
        derivative = self.derivative_core
        grad_prediction = (derivative / derivative.shape[0]) * 1.0
        return grad_prediction


class CrossEntropyLoss:
    """Added in the same style."""

    def forward(self, prediction, target):
        self.prediction = np.clip(np.asarray(prediction, dtype=float), 1e-12, 1)
        self.target = np.asarray(target, dtype=float)
        return float(-np.sum(self.target * np.log(self.prediction)) / self.target.shape[0])

    def backward(self):
        return -self.target / self.prediction / self.target.shape[0]


class SoftmaxCrossEntropyLoss:
    """Added in the same style."""

    def forward(self, logits, target):
        z = np.asarray(logits, dtype=float)
        self.target = np.asarray(target, dtype=float)
        m = np.max(z, axis=1, keepdims=True)
        lse = m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
        self.prediction = np.exp(z - lse)
        return float(np.sum(self.target * (lse - z)) / self.target.shape[0])

    def backward(self):
        return (self.prediction - self.target) / self.target.shape[0]


class Network:

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad):
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def parameters(self):
        out = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                out += [(layer.W, layer.dW), (layer.b, layer.db)]
        return out

    def step(self, lr):
        # SGD.step: param.data = param.data - self.lr * param.grad.data (kept in place here)
        for param, grad in self.parameters():
            param -= lr * grad


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
