"""Port of The Independent Code's "Neural Network from Scratch | Mathematics & Python Code" library.

Origin: github.com/TheIndependentCode/Neural-Network, dense.py, activation.py, activations.py, losses.py, network.py,
  commit 6a1e28e5a9f39cada733d0a9833ae7f4043e8be4.
Original mathematics kept verbatim: Dense init np.random.randn for weights AND bias (N(0, 1), no scaling);
  Dense backward weights_gradient = output_gradient x input^T and input_gradient = W^T output_gradient, both
  computed before the update W -= lr * weights_gradient, b -= lr * output_gradient; Activation backward
  output_gradient * activation_prime(input) with sigmoid_prime(x) = s (1 - s), s = sigmoid(x);
  Softmax forward exp(x) / sum(exp(x)) WITHOUT the max shift; Softmax backward (I - s^T) * s applied to the
  output gradient (the full Jacobian s_i (delta_ij - s_j)); mse = mean((y_true - y_pred)^2),
  mse_prime = 2 (y_pred - y_true) / size; train()'s epoch error = sum of step losses / number of steps.
Changes for the API:
  the library works on one column vector per sample; here samples are rows: W is stored (in, out), the softmax
    Jacobian is built per row and applied to each row's gradient, normalisations are per row;
  Dense.backward updates the parameters itself; here backward stores the gradients (the bias gradient is
    output_gradient summed over the batch, which is the original's for its one-sample batches) and step()
    applies the original update;
  draws come from rng.standard_normal; the per-sample loop of train() becomes mini-batches of
    rng.permutation(n) and `error /= len(x_train)` the plain mean over the epoch's batches;
  added in the same style: Softmax.jacobian (the same (I - s^T) * s per row), CrossEntropyLoss
    (clipped at 1e-12), SoftmaxCrossEntropyLoss (the library has only mse and binary cross-entropy).
Expected verdict: correct (conventions: N(0, 1) weights and biases; plain mean of batch losses; softmax without
  the max shift, which returns nan for logits of magnitude 1000 -- a stability deviation).
"""
import numpy as np


class Layer:
    def __init__(self):
        self.input = None
        self.output = None


class Dense(Layer):
    def __init__(self, input_size, output_size, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.weights = rng.standard_normal((input_size, output_size))
        self.bias = rng.standard_normal(output_size)
        self.input = None
        self.weights_gradient = None
        self.bias_gradient = None

    W = property(lambda self: self.weights, lambda self, v: setattr(self, "weights", v))
    b = property(lambda self: self.bias, lambda self, v: setattr(self, "bias", v))
    dW = property(lambda self: self.weights_gradient)
    db = property(lambda self: self.bias_gradient)
    x = property(lambda self: self.input)

    def forward(self, input):
        self.input = np.asarray(input, dtype=float)
        return np.dot(self.input, self.weights) + self.bias

    def backward(self, output_gradient):
        output_gradient = np.asarray(output_gradient, dtype=float)
        weights_gradient = np.dot(self.input.T, output_gradient)
        input_gradient = np.dot(output_gradient, self.weights.T)
        self.weights_gradient = weights_gradient
        self.bias_gradient = output_gradient.sum(axis=0)
        return input_gradient

    def update(self, learning_rate):
        self.weights -= learning_rate * self.weights_gradient
        self.bias -= learning_rate * self.bias_gradient


Linear = Dense


class Activation(Layer):
    def __init__(self, activation, activation_prime):
        self.activation = activation
        self.activation_prime = activation_prime

    def forward(self, input):
        self.input = np.asarray(input, dtype=float)
        self.output = self.activation(self.input)
        return self.output

    def backward(self, output_gradient):
        return np.multiply(output_gradient, self.activation_prime(self.input))


class Sigmoid(Activation):
    def __init__(self):
        def sigmoid(x):
            return 1 / (1 + np.exp(-x))

        def sigmoid_prime(x):
            s = sigmoid(x)
            return s * (1 - s)

        super().__init__(sigmoid, sigmoid_prime)

    y = property(lambda self: self.output)


class Softmax(Layer):
    def forward(self, input):
        tmp = np.exp(np.asarray(input, dtype=float))
        self.output = tmp / np.sum(tmp, axis=1, keepdims=True)
        return self.output

    s = property(lambda self: self.output)

    def backward(self, output_gradient):
        n = self.output.shape[1]
        out = np.empty_like(self.output)
        for i, (s, g) in enumerate(zip(self.output, np.asarray(output_gradient, dtype=float))):
            s = s.reshape(-1, 1)
            out[i] = np.dot((np.identity(n) - s.T) * s, g)
        return out

    def jacobian(self, input):
        tmp = np.exp(np.asarray(input, dtype=float))
        output = tmp / np.sum(tmp, axis=1, keepdims=True)
        n = output.shape[1]
        return np.stack([(np.identity(n) - s.reshape(-1, 1).T) * s.reshape(-1, 1) for s in output])


def mse(y_true, y_pred):
    return np.mean(np.power(y_true - y_pred, 2))


def mse_prime(y_true, y_pred):
    return 2 * (y_pred - y_true) / np.size(y_true)


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
        return float(np.sum(-self.y_true * np.log(self.y_pred)) / len(self.y_pred))

    def backward(self):
        return -self.y_true / self.y_pred / len(self.y_pred)


class SoftmaxCrossEntropyLoss:
    """Added in the same style."""

    def forward(self, z, y_true):
        z = np.asarray(z, dtype=float)
        self.y_true = np.asarray(y_true, dtype=float)
        m = np.max(z, axis=1, keepdims=True)
        lse = m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
        self.y_pred = np.exp(z - lse)
        return float(np.sum(self.y_true * (lse - z)) / len(z))

    def backward(self):
        return (self.y_pred - self.y_true) / len(self.y_pred)


class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, input):
        output = input
        for layer in self.layers:
            output = layer.forward(output)
        return output

    def backward(self, grad):
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def parameters(self):
        pairs = []
        for layer in self.layers:
            if isinstance(layer, Dense):
                pairs += [(layer.weights, layer.weights_gradient), (layer.bias, layer.bias_gradient)]
        return pairs

    def step(self, learning_rate):
        for layer in self.layers:
            if isinstance(layer, Dense):
                layer.update(learning_rate)


def train(network, loss, x_train, y_train, *, epochs, lr, batch_size, rng):
    history = []
    for e in range(epochs):
        error = 0
        steps = 0
        order = rng.permutation(len(x_train))
        for start in range(0, len(x_train), batch_size):
            idx = order[start:start + batch_size]
            # forward
            output = network.forward(x_train[idx])
            # error
            error += loss.forward(output, y_train[idx])
            steps += 1
            # backward
            network.backward(loss.backward())
            network.step(lr)
        error /= steps
        history.append(float(error))
    return history
