"""Port of Joel Grus's "joelnet" (the live-coded deep learning library).

Origin: github.com/joelgrus/joelnet, joelnet/{layers.py, loss.py, nn.py, optim.py, train.py, data.py},
  commit 65cbc3ff169855d801416d629d290c44c95d001d.
Original mathematics kept verbatim: Linear params w = randn(in, out) and b = randn(out) (N(0, 1));
  outputs = inputs @ w + b; grads b = sum(grad, axis=0), w = inputs.T @ grad, returned grad @ w.T;
  Activation.backward f_prime(inputs) * grad; MSE -- "MSE is mean squared error, although we're just going to do
  total squared error" -- loss = sum((predicted - actual)^2), grad = 2 (predicted - actual); SGD:
  param -= lr * grad over NeuralNet.params_and_grads(), a GENERATOR (yield param, grad); train()'s epoch_loss =
  the SUM of the batch losses.
Changes for the API:
  Layer.params / Layer.grads dicts are kept, with the API's W, b, dW, db, x as views of them; draws from rng;
  params_and_grads() is exposed as parameters() (still a generator);
  BatchIterator shuffles the batch START positions (np.random.shuffle(starts)); the API pins one
    rng.permutation(n) per epoch, walked in consecutive slices, which replaces it;
  train() returns the per-epoch epoch_loss (joelnet prints it) -- the sum of the batches' total squared errors;
  the Tanh activation of the library has no API slot; added in the same Activation(f, f_prime) style: Sigmoid,
    Softmax (forward, backward, jacobian), CrossEntropyLoss, SoftmaxCrossEntropyLoss (API means).
Expected verdict: bug in MSELoss.forward/backward: total squared error instead of the mean (value and gradient
  n*d times the API's). Conventions: parameters() is a generator; N(0, 1) biases; the epoch value is a sum.
"""
from typing import Callable, Dict, Iterator, Sequence, Tuple

import numpy as np

Tensor = np.ndarray


class Layer:
    def __init__(self) -> None:
        self.params: Dict[str, Tensor] = {}
        self.grads: Dict[str, Tensor] = {}


class Linear(Layer):
    """
    computes output = inputs @ w + b
    """
    def __init__(self, input_size: int, output_size: int, rng=None) -> None:
        # inputs will be (batch_size, input_size)
        # outputs will be (batch_size, output_size)
        super().__init__()
        rng = np.random.default_rng() if rng is None else rng
        self.params["w"] = rng.standard_normal((input_size, output_size))
        self.params["b"] = rng.standard_normal(output_size)
        self.grads["w"] = None
        self.grads["b"] = None
        self.inputs = None

    W = property(lambda self: self.params["w"], lambda self, v: self.params.__setitem__("w", v))
    b = property(lambda self: self.params["b"], lambda self, v: self.params.__setitem__("b", v))
    dW = property(lambda self: self.grads["w"])
    db = property(lambda self: self.grads["b"])
    x = property(lambda self: self.inputs)

    def forward(self, inputs: Tensor) -> Tensor:
        """
        outputs = inputs @ w + b
        """
        self.inputs = np.asarray(inputs, dtype=float)
        return self.inputs @ self.params["w"] + self.params["b"]

    def backward(self, grad: Tensor) -> Tensor:
        grad = np.asarray(grad, dtype=float)
        self.grads["b"] = np.sum(grad, axis=0)
        self.grads["w"] = self.inputs.T @ grad
        return grad @ self.params["w"].T


F = Callable[[Tensor], Tensor]


class Activation(Layer):
    """
    An activation layer just applies a function
    elementwise to its inputs
    """
    def __init__(self, f: F, f_prime: F) -> None:
        super().__init__()
        self.f = f
        self.f_prime = f_prime
        self.inputs = None
        self.outputs = None

    def forward(self, inputs: Tensor) -> Tensor:
        self.inputs = np.asarray(inputs, dtype=float)
        self.outputs = self.f(self.inputs)
        return self.outputs

    def backward(self, grad: Tensor) -> Tensor:
        """
        if y = f(x) and x = g(z)
        then dy/dz = f'(x) * g'(z)
        """
        return self.f_prime(self.inputs) * grad


def sigmoid(x: Tensor) -> Tensor:
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x: Tensor) -> Tensor:
    y = sigmoid(x)
    return y * (1 - y)


class Sigmoid(Activation):
    def __init__(self):
        super().__init__(sigmoid, sigmoid_prime)

    y = property(lambda self: self.outputs)


def softmax(x: Tensor) -> Tensor:
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


class Softmax(Layer):
    def __init__(self):
        super().__init__()
        self.s = None

    def forward(self, inputs: Tensor) -> Tensor:
        self.s = softmax(np.asarray(inputs, dtype=float))
        return self.s

    def backward(self, grad: Tensor) -> Tensor:
        return self.s * (grad - np.sum(grad * self.s, axis=1, keepdims=True))

    def jacobian(self, inputs: Tensor) -> Tensor:
        s = softmax(np.asarray(inputs, dtype=float))
        return np.array([np.diag(r) - np.outer(r, r) for r in s])


class Loss:
    def forward(self, predicted: Tensor, actual: Tensor) -> float:
        self.predicted = np.asarray(predicted, dtype=float)
        self.actual = np.asarray(actual, dtype=float)
        return float(self.loss(self.predicted, self.actual))

    def backward(self) -> Tensor:
        return self.grad(self.predicted, self.actual)


class MSE(Loss):
    """
    MSE is mean squared error, although we're
    just going to do total squared error
    """
    def loss(self, predicted: Tensor, actual: Tensor) -> float:
        return np.sum((predicted - actual) ** 2)

    def grad(self, predicted: Tensor, actual: Tensor) -> Tensor:
        return 2 * (predicted - actual)


MSELoss = MSE


class CrossEntropyLoss(Loss):
    """Added in the same style."""

    def loss(self, predicted: Tensor, actual: Tensor) -> float:
        return -np.sum(actual * np.log(np.clip(predicted, 1e-12, 1))) / len(predicted)

    def grad(self, predicted: Tensor, actual: Tensor) -> Tensor:
        return -actual / np.clip(predicted, 1e-12, 1) / len(predicted)


class SoftmaxCrossEntropyLoss(Loss):
    """Added in the same style."""

    def loss(self, predicted: Tensor, actual: Tensor) -> float:
        m = np.max(predicted, axis=1, keepdims=True)
        lse = m + np.log(np.sum(np.exp(predicted - m), axis=1, keepdims=True))
        return np.sum(actual * (lse - predicted)) / len(predicted)

    def grad(self, predicted: Tensor, actual: Tensor) -> Tensor:
        return (softmax(predicted) - actual) / len(predicted)


class NeuralNet:
    def __init__(self, layers: Sequence[Layer]) -> None:
        self.layers = list(layers)

    def forward(self, inputs: Tensor) -> Tensor:
        for layer in self.layers:
            inputs = layer.forward(inputs)
        return inputs

    def backward(self, grad: Tensor) -> Tensor:
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def params_and_grads(self) -> Iterator[Tuple[Tensor, Tensor]]:
        for layer in self.layers:
            for name, param in layer.params.items():
                grad = layer.grads[name]
                yield param, grad

    parameters = params_and_grads

    def step(self, lr: float) -> None:
        # SGD(lr).step(net)
        for param, grad in self.params_and_grads():
            param -= lr * grad


Network = NeuralNet


def train(net: NeuralNet, loss: Loss, inputs: Tensor, targets: Tensor, *, epochs, lr, batch_size, rng):
    history = []
    for epoch in range(epochs):
        epoch_loss = 0.0
        order = rng.permutation(len(inputs))
        for start in range(0, len(inputs), batch_size):
            idx = order[start:start + batch_size]
            predicted = net.forward(inputs[idx])
            epoch_loss += loss.forward(predicted, targets[idx])
            grad = loss.backward()
            net.backward(grad)
            net.step(lr)
        history.append(epoch_loss)
    return history
