"""Port of ML-From-Scratch's deep_learning package (Erik Linder-Noren): Dense, Activation, losses, NeuralNetwork.

Origin: github.com/eriklindernoren/ML-From-Scratch, mlfromscratch/deep_learning/{activation_functions.py,
  loss_functions.py, layers.py, neural_network.py, optimizers.py}, commit a2806c6732eee8d27762edd6d864e0c179d8e9e8
  (see also issue #71 "may be a bug with activation_functions.py" on the Softmax gradient).
Original mathematics kept verbatim: Dense init uniform(-1/sqrt(n_in), 1/sqrt(n_in)) weights and zero w0;
  Dense.backward_pass grad_w = layer_input^T accum_grad, grad_w0 = sum over axis 0, returned accum_grad W^T with
  the weights of the forward pass; Activation.backward_pass accum_grad * activation.gradient(layer_input);
  Sigmoid.gradient(x) = s(x) (1 - s(x)); Softmax.__call__ with the row max subtracted; Softmax.gradient(x) =
  p * (1 - p) -- the diagonal of the Jacobian only; CrossEntropy.loss = -y log p - (1 - y) log(1 - p) and
  CrossEntropy.gradient = -(y / p) + (1 - y) / (1 - p), both with p clipped to [1e-15, 1 - 1e-15] -- binary
  cross-entropy applied to every softmax output; SquareLoss.loss = 0.5 (y - y_pred)^2, gradient -(y - y_pred);
  NeuralNetwork.train_on_batch loss = np.mean(loss(y, y_pred)) (a mean over all n*k elements) while the gradient
  passed back is the elementwise one, NOT divided by n or n*k; StochasticGradientDescent.update w - lr * grad;
  NeuralNetwork.fit's training error = np.mean(batch_error) (the plain mean of the batch losses).
Changes for the API:
  Dense.backward_pass updates through the optimizer inside backward; here backward stores dW, db and step()
    applies the same StochasticGradientDescent rule (momentum 0);
  w0 is (n_units,) instead of (1, n_units); draws come from rng; the input shape is given to the constructor;
  activation_functions.Sigmoid / Softmax are named SigmoidFunction / SoftmaxFunction here; Sigmoid / Softmax
    name the Activation layers that wrap them (layers.Activation('sigmoid') / Activation('softmax'));
  batch_iterator's consecutive unshuffled batches become consecutive slices of rng.permutation(n);
  Softmax.jacobian: the original's only softmax derivative, Softmax.gradient(x) = p * (1 - p), placed on the
    diagonal of each sample's (k, k) Jacobian;
  added in the same style (no fused loss exists): SoftmaxCrossEntropyLoss (log-sum-exp, gradient (p - y) / n).
Expected verdict: bug in CrossEntropyLoss.forward/backward: binary cross-entropy applied to softmax outputs.
  Also: Softmax.backward / jacobian keep only the diagonal p (1 - p) (with the BCE gradient the two errors
  cancel to p - y inside a network); the loss gradients are not divided by the n*k of the mean they differentiate;
  MSELoss is 0.5 (y - p)^2.
"""
import math

import numpy as np


class SigmoidFunction():  # activation_functions.Sigmoid
    def __call__(self, x):
        return 1 / (1 + np.exp(-x))

    def gradient(self, x):
        return self.__call__(x) * (1 - self.__call__(x))


class SoftmaxFunction():  # activation_functions.Softmax
    def __call__(self, x):
        e_x = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e_x / np.sum(e_x, axis=-1, keepdims=True)

    def gradient(self, x):
        p = self.__call__(x)
        return p * (1 - p)


class Activation():
    """A layer that applies an activation operation to the input."""

    def __init__(self, activation_func):
        self.activation_func = activation_func
        self.layer_input = None
        self.output = None

    def forward(self, X):
        self.layer_input = np.asarray(X, dtype=float)
        self.output = self.activation_func(self.layer_input)
        return self.output

    def backward(self, accum_grad):
        return accum_grad * self.activation_func.gradient(self.layer_input)


class SigmoidLayer(Activation):
    def __init__(self):
        super().__init__(SigmoidFunction())

    y = property(lambda self: self.output)


class SoftmaxLayer(Activation):
    def __init__(self):
        super().__init__(SoftmaxFunction())

    s = property(lambda self: self.output)

    def jacobian(self, x):
        g = self.activation_func.gradient(np.asarray(x, dtype=float))
        return np.array([np.diag(row) for row in g])


Sigmoid = SigmoidLayer
Softmax = SoftmaxLayer


class Dense():
    """A fully-connected NN layer."""

    def __init__(self, n_inputs, n_units, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        # Initialize the weights
        limit = 1 / math.sqrt(n_inputs)
        self.W = rng.uniform(-limit, limit, (n_inputs, n_units))
        self.w0 = np.zeros(n_units)
        self.layer_input = None
        self.grad_w = None
        self.grad_w0 = None

    b = property(lambda self: self.w0, lambda self, v: setattr(self, "w0", v))
    dW = property(lambda self: self.grad_w)
    db = property(lambda self: self.grad_w0)
    x = property(lambda self: self.layer_input)

    def forward(self, X):
        self.layer_input = np.asarray(X, dtype=float)
        return self.layer_input.dot(self.W) + self.w0

    def backward(self, accum_grad):
        accum_grad = np.asarray(accum_grad, dtype=float)
        # Save weights used during forwards pass
        W = self.W
        # Calculate gradient w.r.t layer weights
        self.grad_w = self.layer_input.T.dot(accum_grad)
        self.grad_w0 = np.sum(accum_grad, axis=0)
        # Return accumulated gradient for next layer
        # Calculated based on the weights used during the forward pass
        accum_grad = accum_grad.dot(W.T)
        return accum_grad


Linear = Dense


class StochasticGradientDescent():
    def __init__(self, learning_rate=0.01, momentum=0):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.w_updt = None

    def update(self, w, grad_wrt_w):
        # If not initialized
        if self.w_updt is None:
            self.w_updt = np.zeros(np.shape(w))
        # Use momentum if set
        self.w_updt = self.momentum * self.w_updt + (1 - self.momentum) * grad_wrt_w
        # Move against the gradient to minimize loss
        return w - self.learning_rate * self.w_updt


class Loss(object):
    def forward(self, y_pred, y):
        self.y_pred = np.asarray(y_pred, dtype=float)
        self.y = np.asarray(y, dtype=float)
        # NeuralNetwork.train_on_batch: loss = np.mean(self.loss_function.loss(y, y_pred))
        return float(np.mean(self.loss(self.y, self.y_pred)))

    def backward(self):
        # loss_grad = self.loss_function.gradient(y, y_pred)
        return self.gradient(self.y, self.y_pred)


class SquareLoss(Loss):
    def loss(self, y, y_pred):
        return 0.5 * np.power((y - y_pred), 2)

    def gradient(self, y, y_pred):
        return -(y - y_pred)


class CrossEntropy(Loss):
    def loss(self, y, p):
        # Avoid division by zero
        p = np.clip(p, 1e-15, 1 - 1e-15)
        return - y * np.log(p) - (1 - y) * np.log(1 - p)

    def gradient(self, y, p):
        # Avoid division by zero
        p = np.clip(p, 1e-15, 1 - 1e-15)
        return - (y / p) + (1 - y) / (1 - p)


MSELoss = SquareLoss
CrossEntropyLoss = CrossEntropy


class SoftmaxCrossEntropyLoss(object):
    """Added in the same style."""

    def forward(self, z, y):
        z = np.asarray(z, dtype=float)
        self.y = np.asarray(y, dtype=float)
        m = np.max(z, axis=-1, keepdims=True)
        lse = m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))
        self.p = np.exp(z - lse)
        return float(np.sum(self.y * (lse - z)) / len(z))

    def backward(self):
        return (self.p - self.y) / len(self.p)


class Network():
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, X):
        layer_output = X
        for layer in self.layers:
            layer_output = layer.forward(layer_output)
        return layer_output

    def backward(self, loss_grad):
        for layer in reversed(self.layers):
            loss_grad = layer.backward(loss_grad)
        return loss_grad

    def parameters(self):
        out = []
        for layer in self.layers:
            if isinstance(layer, Dense):
                out += [(layer.W, layer.grad_w), (layer.w0, layer.grad_w0)]
        return out

    def step(self, lr):
        for layer in self.layers:
            if isinstance(layer, Dense):
                layer.W[...] = StochasticGradientDescent(lr).update(layer.W, layer.grad_w)
                layer.w0[...] = StochasticGradientDescent(lr).update(layer.w0, layer.grad_w0)


def train(network, loss, X, y, *, epochs, lr, batch_size, rng):
    """NeuralNetwork.fit: the training error of an epoch is the mean of its batch errors."""
    errors = []
    for _ in range(epochs):
        batch_error = []
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            X_batch, y_batch = X[idx], y[idx]
            y_pred = network.forward(X_batch)
            batch_loss = loss.forward(y_pred, y_batch)
            network.backward(loss.backward())
            network.step(lr)
            batch_error.append(batch_loss)
        errors.append(float(np.mean(batch_error)))
    return errors
