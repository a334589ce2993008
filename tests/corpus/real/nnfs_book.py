"""Port of the "Neural Networks from Scratch in Python" book code (Kinsley & Kukiela), chapter 19 final.

Origin: github.com/Sentdex/nnfs_book, Chapter_19/Ch19_Final.py, commit 9cf2fc482985d5bc68c736a49aa0624b6ab13fb1.
Original mathematics kept verbatim: Layer_Dense (0.01 * randn weights, zero biases, dweights = inputs.T @ dvalues,
  dbiases = sum over axis 0, dinputs = dvalues @ weights.T); Activation_Sigmoid (1 / (1 + exp(-x)), derivative
  from the cached output); Activation_Softmax (row max subtracted; backward builds each sample's Jacobian
  np.diagflat(s) - s s^T in a loop and multiplies it with the sample's gradient); Loss_CategoricalCrossentropy
  (forward clips to [1e-7, 1 - 1e-7]; backward is -y_true / dvalues / samples, NOT clipped);
  Activation_Softmax_Loss_CategoricalCrossentropy (forward = softmax then the clipped categorical
  cross-entropy; backward turns one-hot targets into labels with argmax, subtracts 1, divides by samples);
  Loss_MeanSquaredError (mean over outputs then samples, gradient -2 (y_true - dvalues) / outputs / samples);
  Optimizer_SGD without decay or momentum (weights += -lr * dweights); Model.train's epoch loss
  (accumulated_sum / accumulated_count, i.e. batch losses weighted by batch size).
Changes for the API:
  methods return their result instead of only storing self.output / self.dinputs (both are still stored);
  biases are (n_neurons,) instead of (1, n_neurons) and are drawn from rng (randn via rng.standard_normal);
  weight/bias regularisers (all 0 in the book's defaults) and the `training` flag are dropped;
  losses take (output, y_true) in forward and nothing in backward (they cache what backward needs);
  Model.train's batch slicing over unshuffled data becomes consecutive slices of rng.permutation(n);
  Sigmoid caches y (= self.output) and Softmax caches s (= self.output) under the API's names;
  inputs are converted to float arrays;
  added: Softmax.jacobian (the same np.diagflat(s) - s s^T per sample, stacked).
Expected verdict: correct (nnfs conventions: 1e-7 clipping, 0.01 * randn init, argmax targets in the fused loss,
  unclipped CCE backward; sigmoid overflows with a RuntimeWarning at -1000).
"""
import numpy as np


# Dense layer
class Layer_Dense:

    # Layer initialization
    def __init__(self, n_inputs, n_neurons, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        # Initialize weights and biases
        self.weights = 0.01 * rng.standard_normal((n_inputs, n_neurons))
        self.biases = np.zeros(n_neurons)
        self.dweights = None
        self.dbiases = None
        self.inputs = None

    # The API's names for the same arrays
    W = property(lambda self: self.weights, lambda self, v: setattr(self, "weights", v))
    b = property(lambda self: self.biases, lambda self, v: setattr(self, "biases", v))
    dW = property(lambda self: self.dweights)
    db = property(lambda self: self.dbiases)
    x = property(lambda self: self.inputs)

    # Forward pass
    def forward(self, inputs):
        inputs = np.asarray(inputs, dtype=float)
        # Remember input values
        self.inputs = inputs
        # Calculate output values from inputs, weights and biases
        self.output = np.dot(inputs, self.weights) + self.biases
        return self.output

    # Backward pass
    def backward(self, dvalues):
        dvalues = np.asarray(dvalues, dtype=float)
        # Gradients on parameters
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0)
        # Gradient on values
        self.dinputs = np.dot(dvalues, self.weights.T)
        return self.dinputs


Linear = Layer_Dense


# Sigmoid activation
class Activation_Sigmoid:

    def __init__(self):
        self.y = None

    # Forward pass
    def forward(self, inputs):
        inputs = np.asarray(inputs, dtype=float)
        # Save input and calculate/save output
        # of the sigmoid function
        self.inputs = inputs
        self.output = 1 / (1 + np.exp(-inputs))
        self.y = self.output
        return self.output

    # Backward pass
    def backward(self, dvalues):
        # Derivative - calculates from output of the sigmoid function
        self.dinputs = dvalues * (1 - self.output) * self.output
        return self.dinputs


Sigmoid = Activation_Sigmoid


# Softmax activation
class Activation_Softmax:

    def __init__(self):
        self.s = None

    # Forward pass
    def forward(self, inputs):
        inputs = np.asarray(inputs, dtype=float)
        # Remember input values
        self.inputs = inputs

        # Get unnormalized probabilities
        exp_values = np.exp(inputs - np.max(inputs, axis=1,
                                            keepdims=True))
        # Normalize them for each sample
        probabilities = exp_values / np.sum(exp_values, axis=1,
                                            keepdims=True)

        self.output = probabilities
        self.s = probabilities
        return self.output

    # Backward pass
    def backward(self, dvalues):
        dvalues = np.asarray(dvalues, dtype=float)

        # Create uninitialized array
        self.dinputs = np.empty_like(dvalues)

        # Enumerate outputs and gradients
        for index, (single_output, single_dvalues) in \
                enumerate(zip(self.output, dvalues)):
            # Flatten output array
            single_output = single_output.reshape(-1, 1)
            # Calculate Jacobian matrix of the output
            jacobian_matrix = np.diagflat(single_output) - \
                              np.dot(single_output, single_output.T)
            # Calculate sample-wise gradient
            # and add it to the array of sample gradients
            self.dinputs[index] = np.dot(jacobian_matrix,
                                         single_dvalues)
        return self.dinputs

    # Added: the same Jacobian as backward, stacked, without touching the cache
    def jacobian(self, inputs):
        inputs = np.asarray(inputs, dtype=float)
        exp_values = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        probabilities = exp_values / np.sum(exp_values, axis=1, keepdims=True)
        jacobians = []
        for single_output in probabilities:
            single_output = single_output.reshape(-1, 1)
            jacobians.append(np.diagflat(single_output) -
                             np.dot(single_output, single_output.T))
        return np.array(jacobians)


Softmax = Activation_Softmax


# Common loss class
class Loss:

    def calculate(self, output, y):
        # Calculate sample losses
        sample_losses = self.forward_samples(output, y)
        # Calculate mean loss
        data_loss = np.mean(sample_losses)
        return data_loss


# Cross-entropy loss
class Loss_CategoricalCrossentropy(Loss):

    def forward_samples(self, y_pred, y_true):

        # Number of samples in a batch
        samples = len(y_pred)

        # Clip data to prevent division by 0
        # Clip both sides to not drag mean towards any value
        y_pred_clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)

        # Probabilities for target values -
        # only if categorical labels
        if len(y_true.shape) == 1:
            correct_confidences = y_pred_clipped[
                range(samples),
                y_true
            ]

        # Mask values - only for one-hot encoded labels
        elif len(y_true.shape) == 2:
            correct_confidences = np.sum(
                y_pred_clipped * y_true,
                axis=1
            )

        # Losses
        negative_log_likelihoods = -np.log(correct_confidences)
        return negative_log_likelihoods

    def forward(self, y_pred, y_true):
        self.y_pred = np.asarray(y_pred, dtype=float)
        self.y_true = np.asarray(y_true, dtype=float)
        return float(self.calculate(self.y_pred, self.y_true))

    # Backward pass
    def backward(self):
        dvalues, y_true = self.y_pred, self.y_true

        # Number of samples
        samples = len(dvalues)
        # Number of labels in every sample
        # We'll use the first sample to count them
        labels = len(dvalues[0])

        # If labels are sparse, turn them into one-hot vector
        if len(y_true.shape) == 1:
            y_true = np.eye(labels)[y_true]

        # Calculate gradient
        self.dinputs = -y_true / dvalues
        # Normalize gradient
        self.dinputs = self.dinputs / samples
        return self.dinputs


CrossEntropyLoss = Loss_CategoricalCrossentropy


# Softmax classifier - combined Softmax activation
# and cross-entropy loss for faster backward step
class Activation_Softmax_Loss_CategoricalCrossentropy():

    # Creates activation and loss function objects
    def __init__(self):
        self.activation = Activation_Softmax()
        self.loss = Loss_CategoricalCrossentropy()

    # Forward pass
    def forward(self, inputs, y_true):
        self.y_true = np.asarray(y_true, dtype=float)
        # Output layer's activation function
        self.activation.forward(inputs)
        # Set the output
        self.output = self.activation.output
        # Calculate and return loss value
        return float(self.loss.calculate(self.output, self.y_true))

    # Backward pass
    def backward(self):
        dvalues, y_true = self.output, self.y_true

        # Number of samples
        samples = len(dvalues)

        # If labels are one-hot encoded,
        # turn them into discrete values
        if len(y_true.shape) == 2:
            y_true = np.argmax(y_true, axis=1)

        # Copy so we can safely modify
        self.dinputs = dvalues.copy()
        # Calculate gradient
        self.dinputs[range(samples), y_true] -= 1
        # Normalize gradient
        self.dinputs = self.dinputs / samples
        return self.dinputs


SoftmaxCrossEntropyLoss = Activation_Softmax_Loss_CategoricalCrossentropy


# Mean Squared Error loss
class Loss_MeanSquaredError(Loss):  # L2 loss

    def forward_samples(self, y_pred, y_true):
        # Calculate loss
        sample_losses = np.mean((y_true - y_pred)**2, axis=-1)
        # Return losses
        return sample_losses

    def forward(self, y_pred, y_true):
        self.y_pred = np.asarray(y_pred, dtype=float)
        self.y_true = np.asarray(y_true, dtype=float)
        return float(self.calculate(self.y_pred, self.y_true))

    # Backward pass
    def backward(self):
        dvalues, y_true = self.y_pred, self.y_true

        # Number of samples
        samples = len(dvalues)
        # Number of outputs in every sample
        # We'll use the first sample to count them
        outputs = len(dvalues[0])

        # Gradient on values
        self.dinputs = -2 * (y_true - dvalues) / outputs
        # Normalize gradient
        self.dinputs = self.dinputs / samples
        return self.dinputs


MSELoss = Loss_MeanSquaredError


# SGD optimizer (no decay, no momentum)
class Optimizer_SGD:

    def __init__(self, learning_rate=1.):
        self.learning_rate = learning_rate
        self.current_learning_rate = learning_rate

    # Update parameters
    def update_params(self, layer):
        # Vanilla SGD updates
        weight_updates = -self.current_learning_rate * layer.dweights
        bias_updates = -self.current_learning_rate * layer.dbiases
        layer.weights += weight_updates
        layer.biases += bias_updates


class Network:

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, X):
        output = X
        for layer in self.layers:
            output = layer.forward(output)
        return output

    def backward(self, dvalues):
        for layer in reversed(self.layers):
            dvalues = layer.backward(dvalues)
        return dvalues

    def parameters(self):
        pairs = []
        for layer in self.layers:
            if hasattr(layer, 'weights'):
                pairs.append((layer.weights, layer.dweights))
                pairs.append((layer.biases, layer.dbiases))
        return pairs

    def step(self, lr):
        optimizer = Optimizer_SGD(learning_rate=lr)
        for layer in self.layers:
            if hasattr(layer, 'weights'):
                optimizer.update_params(layer)


def train(network, loss, X, Y, *, epochs, lr, batch_size, rng):
    n = len(X)
    history = []
    for epoch in range(epochs):
        order = rng.permutation(n)
        # Reset accumulated values in loss
        accumulated_sum = 0.0
        accumulated_count = 0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            batch_X, batch_y = X[idx], Y[idx]
            data_loss = loss.forward(network.forward(batch_X), batch_y)
            accumulated_sum += data_loss * len(idx)
            accumulated_count += len(idx)
            network.backward(loss.backward())
            network.step(lr)
        # Get and print epoch loss
        history.append(accumulated_sum / accumulated_count)
    return history
