"""Port of sirius911's 42-school "multilayer-perceptron" (Omar Aflak-style layers + its own activations), Jan 2023.

Origin: github.com/sirius911/multilayer-perceptron, srcs/activations.py, srcs/activation_layer.py, srcs/fc_layer.py,
  srcs/loss_functions.py, srcs/network.py, commit 952c90731fce80f3ff808181aea22dff926de963 (used by first_try.py as
  ActivationLayer(softmax, softmax_prime) on the output, with mse).
Original mathematics kept verbatim: softmax(x) = exp(x - max) / sum (max and sum on the last axis, keepdims);
  softmax_prime(x) = p * (1 - p), p = softmax(x) -- the diagonal of the softmax Jacobian only -- applied by
  ActivationLayer.backward as activation_prime(input) * output_error; sigmoid / sigmoid_prime(x) = s(x) (1 - s(x))
  at the input; FCLayer (np.random.rand - 0.5 for weights and bias; input_error = output_error W^T before the
  update; weights_error = input^T output_error); mse = mean((y_true - y_pred)^2), mse_prime = 2 (y_pred - y_true) /
  size; fit()'s err /= samples.
Changes for the API:
  FCLayer.backward_propagation updates the parameters itself; here backward stores the gradients (the bias
    gradient summed over the batch, the original's output_error for its one-sample batches) and step() applies
    the original update; bias is (out,); draws come from rng (rng.random - 0.5);
  fit()'s per-sample loop becomes mini-batches of rng.permutation(n); err /= samples becomes the plain mean of
    the batch losses;
  Softmax.jacobian: the original's softmax_prime(x) = p (1 - p) -- its only softmax derivative -- placed on the
    diagonal of each sample's (k, k) Jacobian;
  added in the same style: CrossEntropyLoss (clipped at 1e-12), SoftmaxCrossEntropyLoss.
Expected verdict: bug in Softmax.backward / Softmax.jacobian: the softmax Jacobian reduced to its diagonal s (1 - s).
  (train() returns the plain mean of batch losses, a convention.)
"""
import numpy as np


# activation function and its derivative
def sigmoid(x):
    return 1/(1 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x) * (1 - sigmoid(x))


def softmax(x):
    exps = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return exps / np.sum(exps, axis=-1, keepdims=True)


def softmax_prime(x):
    """
    Softmax Derivative Function
    """
    p = softmax(x)
    return p * (1 - p)


# loss function and its derivative
def mse(y_true, y_pred):
    return np.mean(np.power(y_true-y_pred, 2))


def mse_prime(y_true, y_pred):
    return 2*(y_pred-y_true)/y_true.size


class Layer:
    def __init__(self):
        self.input = None
        self.output = None


class FCLayer(Layer):
    def __init__(self, input_size, output_size, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.weights = rng.random((input_size, output_size)) - 0.5
        self.bias = rng.random(output_size) - 0.5
        self.input = None
        self.weights_error = None
        self.bias_error = None

    W = property(lambda self: self.weights, lambda self, v: setattr(self, "weights", v))
    b = property(lambda self: self.bias, lambda self, v: setattr(self, "bias", v))
    dW = property(lambda self: self.weights_error)
    db = property(lambda self: self.bias_error)
    x = property(lambda self: self.input)

    def forward(self, input_data):
        self.input = np.asarray(input_data, dtype=float)
        self.output = np.dot(self.input, self.weights) + self.bias
        return self.output

    def backward(self, output_error):
        output_error = np.asarray(output_error, dtype=float)
        input_error = np.dot(output_error, self.weights.T)
        self.weights_error = np.dot(self.input.T, output_error)
        # dBias = output_error
        self.bias_error = output_error.sum(axis=0)
        return input_error

    def update(self, learning_rate):
        self.weights -= learning_rate * self.weights_error
        self.bias -= learning_rate * self.bias_error


Linear = FCLayer


class ActivationLayer(Layer):
    def __init__(self, activation, activation_prime):
        self.activation = activation
        self.activation_prime = activation_prime

    def forward(self, input_data):
        self.input = np.asarray(input_data, dtype=float)
        self.output = self.activation(self.input)
        return self.output

    def backward(self, output_error):
        return self.activation_prime(self.input) * output_error


class Sigmoid(ActivationLayer):
    def __init__(self):
        super().__init__(sigmoid, sigmoid_prime)

    y = property(lambda self: self.output)


class Softmax(ActivationLayer):
    def __init__(self):
        super().__init__(softmax, softmax_prime)

    s = property(lambda self: self.output)

    def jacobian(self, input_data):
        d = softmax_prime(np.asarray(input_data, dtype=float))
        return np.array([np.diag(row) for row in d])


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
        m = np.max(z, axis=-1, keepdims=True)
        lse = m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))
        self.y_pred = np.exp(z - lse)
        return float(np.sum(self.y_true * (lse - z)) / len(z))

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
                found += [(layer.weights, layer.weights_error), (layer.bias, layer.bias_error)]
        return found

    def step(self, learning_rate):
        for layer in self.layers:
            if isinstance(layer, FCLayer):
                layer.update(learning_rate)


def train(network, loss, x_train, y_train, *, epochs, lr, batch_size, rng):
    samples = len(x_train)
    historic_loss = []
    for i in range(epochs):
        err = 0
        steps = 0
        order = rng.permutation(samples)
        for j in range(0, samples, batch_size):
            idx = order[j:j + batch_size]
            output = network.forward(x_train[idx])
            # compute loss (for display purpose only)
            err += loss.forward(output, y_train[idx])
            steps += 1
            network.backward(loss.backward())
            network.step(lr)
        err /= steps
        historic_loss.append(float(err))
    return historic_loss
