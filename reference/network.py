"""Network (a sequence of layers) and the mini-batch SGD training loop."""
from __future__ import annotations

import numpy as np


class Network:
    """A sequence of layers applied in order.

    Parameters
    ----------
    layers : list
        Layer objects (``Linear``, ``Sigmoid``, ``Softmax``...). Kept as the
        attribute ``layers``; the loss is not a layer.
    """

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        """Apply every layer in order and return the last output."""
        ### BEGIN SOLUTION (TODO: feed x through each layer's forward in order and return the final output)
        for layer in self.layers:
            x = layer.forward(x)
        return x
        ### END SOLUTION

    def backward(self, grad_out):
        """Backpropagate ``grad_out`` through every layer in reverse order.

        Parameters
        ----------
        grad_out : ndarray
            Gradient of the loss with respect to the network's output.

        Returns
        -------
        grad_in : ndarray
            Gradient with respect to the network's input.
        """
        ### BEGIN SOLUTION (TODO: call each layer's backward in REVERSE order, passing each result to the previous layer; return the last result. Do not update any parameter here)
        # NOTE: parameters change only in step(). Updating a layer's weights
        # while backpropagating sends the wrong W.T to the layers before it.
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out
        ### END SOLUTION

    def parameters(self):
        """Every trainable parameter with its gradient.

        Returns
        -------
        list of (ndarray, ndarray)
            ``(param, grad)`` pairs, the arrays themselves (not copies), in
            layer order and ``W`` before ``b`` for each ``Linear``. Grads are
            those of the last ``backward`` (``None`` before any).
        """
        ### BEGIN SOLUTION (TODO: return the (parameter, gradient) pairs, W then b, of every layer that has parameters, in layer order) (CODE: [(layer.W, layer.dW), (layer.b, layer.db)] for each such layer)
        pairs = []
        for layer in self.layers:
            if hasattr(layer, "W"):
                pairs.append((layer.W, layer.dW))
                pairs.append((layer.b, layer.db))
        return pairs
        ### END SOLUTION

    def step(self, lr):
        """Plain SGD: ``p -= lr * grad`` in place for every parameter."""
        ### BEGIN SOLUTION (TODO: for each (param, grad) pair, subtract the learning rate times the gradient from the parameter IN PLACE) (CODE: param -= lr * grad)
        # NOTE: in place (-=) on the array itself. "p = p - lr * g" rebinds a
        # local name and the layer never changes; "+=" climbs the loss.
        for param, grad in self.parameters():
            param -= lr * grad
        ### END SOLUTION


def train(network, loss, X, Y, *, epochs, lr, batch_size, rng):
    """Mini-batch SGD.

    Each epoch draws ``order = rng.permutation(n)`` and walks it in consecutive
    batches ``order[0:batch_size], order[batch_size:2*batch_size], ...`` (the
    last batch may be smaller). Each batch does exactly one
    ``loss.forward(network.forward(X[idx]), Y[idx])``, one
    ``network.backward(loss.backward())`` and one ``network.step(lr)``.

    Parameters
    ----------
    network : Network
    loss : MSELoss, CrossEntropyLoss or SoftmaxCrossEntropyLoss
    X : ndarray, shape (n, features)
    Y : ndarray, shape (n, outputs)
    epochs : int
    lr : float
    batch_size : int
    rng : numpy.random.Generator
        The only source of randomness; one ``permutation`` call per epoch.

    Returns
    -------
    list of float
        Each epoch's mean loss: the batch losses weighted by batch size,
        divided by ``n``.
    """
    ### BEGIN SOLUTION (TODO: for each epoch: draw one permutation of the samples with rng; for each consecutive batch of it: forward, loss, backward, step; record the epoch's mean loss over the samples) (CODE: order = rng.permutation(n); for each batch idx of order ...; record sum(batch_loss * len(idx)) / n)
    n = X.shape[0]
    history = []
    for _ in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            value = loss.forward(network.forward(X[idx]), Y[idx])
            network.backward(loss.backward())
            network.step(lr)
            total += value * len(idx)
        history.append(total / n)
    return history
    ### END SOLUTION
