"""Port of Omar Aflak's "Math Neural Network from scratch in Python" (Towards Data Science) code.

Origin: github.com/OmarAflak/Medium-Python-Neural-Network, fc_layer.py, activation_layer.py, losses.py,
  network.py, commit 86d646b7c3e1ad9f623c36ce7124636b35233544.
Original mathematics kept verbatim: FCLayer init np.random.rand(in, out) - 0.5 for BOTH weights and bias
  (uniform on [-0.5, 0.5)); forward input @ weights + bias; backward input_error = output_error @ weights.T
  computed BEFORE the update, weights_error = input.T @ output_error; ActivationLayer backward
  activation_prime(input) * output_error; mse = mean((y_true - y_pred)^2), mse_prime = 2 (y_pred - y_true) /
  y_true.size; fit()'s epoch error = sum of the per-step losses divided by the number of steps.
Changes for the API:
  FCLayer.backward_propagation updates the parameters itself; here backward() stores the gradients
    (dW = weights_error, db = output_error summed over the batch, which is the original's output_error for
    its batches of one sample) and step() applies the original's update (weights -= lr * weights_error);
  the per-sample loop of fit() becomes the API's mini-batches of rng.permutation(n); the original's
    `err /= samples` (mean over its one-sample steps) becomes the plain mean over the epoch's batches;
  bias is (out,) instead of (1, out); draws come from rng (rng.random instead of np.random.rand);
  the tanh activation of the article has no API slot; added in the same ActivationLayer style:
    Sigmoid (sigmoid / sigmoid_prime of the input), Softmax (forward, backward, jacobian),
    CrossEntropyLoss (clipped at 1e-12), SoftmaxCrossEntropyLoss.
Expected verdict: correct (conventions: uniform(-0.5, 0.5) weights AND biases; train() returns the plain mean of
  the batch losses, not the batch-size-weighted mean; sigmoid overflows with a RuntimeWarning at -1000).
"""
import numpy as np


# Base class
class Layer:
    def __init__(self):
        self.input = None
        self.output = None


# inherit from base class Layer
class FCLayer(Layer):
    # input_size = number of input neurons
    # output_size = number of output neurons
    def __init__(self, input_size, output_size, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.weights = rng.random((input_size, output_size)) - 0.5
        self.bias = rng.random(output_size) - 0.5
        self.input = None
        self.weights_error = None
        self.output_error = None

    W = property(lambda self: self.weights, lambda self, v: setattr(self, "weights", v))
    b = property(lambda self: self.bias, lambda self, v: setattr(self, "bias", v))
    dW = property(lambda self: self.weights_error)
    db = property(lambda self: self.output_error)
    x = property(lambda self: self.input)

    # returns output for a given input
    def forward(self, input_data):
        self.input = np.asarray(input_data, dtype=float)
        self.output = np.dot(self.input, self.weights) + self.bias
        return self.output

    # computes dE/dW, dE/dB for a given output_error=dE/dY. Returns input_error=dE/dX.
    def backward(self, output_error):
        output_error = np.asarray(output_error, dtype=float)
        input_error = np.dot(output_error, self.weights.T)
        weights_error = np.dot(self.input.T, output_error)
        # dBias = output_error
        self.weights_error = weights_error
        self.output_error = output_error.sum(axis=0)
        return input_error

    def update(self, learning_rate):
        # update parameters
        self.weights -= learning_rate * self.weights_error
        self.bias -= learning_rate * self.output_error


Linear = FCLayer


# inherit from base class Layer
class ActivationLayer(Layer):
    def __init__(self, activation, activation_prime):
        self.activation = activation
        self.activation_prime = activation_prime

    # returns the activated input
    def forward(self, input_data):
        self.input = np.asarray(input_data, dtype=float)
        self.output = self.activation(self.input)
        return self.output

    # Returns input_error=dE/dX for a given output_error=dE/dY.
    def backward(self, output_error):
        return self.activation_prime(self.input) * output_error


# activation function and its derivative (added: the article uses tanh / tanh_prime)
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x) * (1 - sigmoid(x))


class Sigmoid(ActivationLayer):
    def __init__(self):
        super().__init__(sigmoid, sigmoid_prime)

    y = property(lambda self: self.output)


def softmax(x):
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


class Softmax(Layer):
    """Added in the same style."""

    def forward(self, input_data):
        self.input = np.asarray(input_data, dtype=float)
        self.output = softmax(self.input)
        return self.output

    s = property(lambda self: self.output)

    def backward(self, output_error):
        s = self.output
        return s * (output_error - np.sum(output_error * s, axis=1, keepdims=True))

    def jacobian(self, input_data):
        s = softmax(np.asarray(input_data, dtype=float))
        return np.stack([np.diag(row) - np.outer(row, row) for row in s])


# loss function and its derivative
def mse(y_true, y_pred):
    return np.mean(np.power(y_true-y_pred, 2))


def mse_prime(y_true, y_pred):
    return 2*(y_pred-y_true)/y_true.size


class MSELoss:
    def forward(self, y_pred, y_true):
        self.y_pred, self.y_true = np.asarray(y_pred, dtype=float), np.asarray(y_true, dtype=float)
        return float(mse(self.y_true, self.y_pred))

    def backward(self):
        return mse_prime(self.y_true, self.y_pred)


class CrossEntropyLoss:
    """Added in the same style."""

    def forward(self, y_pred, y_true):
        self.y_pred = np.clip(np.asarray(y_pred, dtype=float), 1e-12, 1)
        self.y_true = np.asarray(y_true, dtype=float)
        return float(-np.sum(self.y_true * np.log(self.y_pred)) / len(self.y_pred))

    def backward(self):
        return -self.y_true / self.y_pred / len(self.y_pred)


class SoftmaxCrossEntropyLoss:
    """Added in the same style."""

    def forward(self, z, y_true):
        z = np.asarray(z, dtype=float)
        self.y_true = np.asarray(y_true, dtype=float)
        shifted = z - np.max(z, axis=1, keepdims=True)
        log_norm = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        self.y_pred = np.exp(shifted - log_norm)
        return float(np.sum(self.y_true * (log_norm - shifted)) / len(z))

    def backward(self):
        return (self.y_pred - self.y_true) / len(self.y_pred)


class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, input_data):
        output = input_data
        for layer in self.layers:
            output = layer.forward(output)
        return output

    def backward(self, error):
        for layer in reversed(self.layers):
            error = layer.backward(error)
        return error

    def parameters(self):
        found = []
        for layer in self.layers:
            if isinstance(layer, FCLayer):
                found.append((layer.weights, layer.weights_error))
                found.append((layer.bias, layer.output_error))
        return found

    def step(self, learning_rate):
        for layer in self.layers:
            if isinstance(layer, FCLayer):
                layer.update(learning_rate)


# train the network
def train(network, loss, x_train, y_train, *, epochs, lr, batch_size, rng):
    # sample dimension first
    samples = len(x_train)
    history = []
    # training loop
    for i in range(epochs):
        err = 0
        steps = 0
        order = rng.permutation(samples)
        for j in range(0, samples, batch_size):
            idx = order[j:j + batch_size]
            # forward propagation
            output = network.forward(x_train[idx])
            # compute loss (for display purpose only)
            err += loss.forward(output, y_train[idx])
            steps += 1
            # backward propagation
            network.backward(loss.backward())
            network.step(lr)
        # calculate average error on all samples
        err /= steps
        history.append(float(err))
    return history
