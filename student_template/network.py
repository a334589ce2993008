# Generated from reference/network.py by `nngrade template build`: edit the reference, not this file.
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
        raise NotImplementedError("TODO: feed x through each layer's forward in order and return the final output")

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
        raise NotImplementedError("TODO: call each layer's backward in REVERSE order, passing each result to the previous layer; return the last result. Do not update any parameter here")

    def parameters(self):
        """Every trainable parameter with its gradient.

        Returns
        -------
        list of (ndarray, ndarray)
            ``(param, grad)`` pairs, the arrays themselves (not copies), in
            layer order and ``W`` before ``b`` for each ``Linear``. Grads are
            those of the last ``backward`` (``None`` before any).
        """
        raise NotImplementedError("TODO: return the (parameter, gradient) pairs, W then b, of every layer that has parameters, in layer order")

    def step(self, lr):
        """Plain SGD: ``p -= lr * grad`` in place for every parameter."""
        raise NotImplementedError("TODO: for each (param, grad) pair, subtract the learning rate times the gradient from the parameter IN PLACE")


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
    raise NotImplementedError("TODO: for each epoch: draw one permutation of the samples with rng; for each consecutive batch of it: forward, loss, backward, step; record the epoch's mean loss over the samples")
