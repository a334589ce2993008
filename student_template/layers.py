# Generated from reference/layers.py by `nngrade template build`: edit the reference, not this file.
"""Layers: Sigmoid, Softmax and Linear.

Conventions (see docs/API.md):

- Batches are row-major: ``x`` has shape ``(n, features)``.
- float64 is the default; float32 input gives float32 output; any other input
  (integers, lists) is converted to float64.
- No method modifies its input arrays in place.
- ``backward`` uses what the most recent ``forward`` cached.
"""
from __future__ import annotations

import numpy as np


def as_float_array(x) -> np.ndarray:
    """Return ``x`` as a float32 or float64 array without modifying it.

    float32 and float64 arrays are returned as they are; everything else
    (integers, booleans, lists) becomes float64.
    """
    x = np.asarray(x)
    if x.dtype in (np.float32, np.float64):
        return x
    return x.astype(np.float64)


class Sigmoid:
    """Elementwise logistic function ``y = 1 / (1 + exp(-x))``.

    Attributes
    ----------
    y : ndarray or None
        The output of the last ``forward`` call, cached for ``backward``.
    """

    def __init__(self) -> None:
        self.y = None

    def forward(self, x):
        """Apply the sigmoid elementwise.

        Parameters
        ----------
        x : array_like, shape (n, d)
            Pre-activations.

        Returns
        -------
        y : ndarray, shape (n, d)
            ``1 / (1 + exp(-x))``, same float dtype as ``x``; every value in [0, 1].
        """
        raise NotImplementedError("TODO: apply the logistic sigmoid elementwise without overflow warnings for large |x| (exponentiate only non-positive numbers); cache the output in self.y and return it")

    def backward(self, grad_y):
        """Backpropagate through the last forward call.

        Parameters
        ----------
        grad_y : array_like, shape (n, d)
            Gradient of the loss with respect to this layer's output.

        Returns
        -------
        grad_x : ndarray, shape (n, d)
            ``grad_y * y * (1 - y)`` where ``y`` is the cached output.
        """
        raise NotImplementedError("TODO: multiply grad_y by the sigmoid's derivative, written in terms of the OUTPUT y cached by forward (not the input x)")


class Softmax:
    """Row-wise softmax ``s_ij = exp(z_ij) / sum_k exp(z_ik)``.

    Attributes
    ----------
    s : ndarray or None
        The output of the last ``forward`` call, cached for ``backward``.
    """

    def __init__(self) -> None:
        self.s = None

    def forward(self, z):
        """Softmax of each row, stable for logits of any magnitude.

        Parameters
        ----------
        z : array_like, shape (n, k)
            Logits; ``|z| = 1000`` must give the exact answer without NaN or warnings.

        Returns
        -------
        s : ndarray, shape (n, k)
            Probabilities; each row sums to 1.
        """
        raise NotImplementedError("TODO: shift each row by its own maximum before exponentiating, then divide each row by its sum; cache s in self.s and return it")

    def backward(self, grad_s):
        """Vector-Jacobian product through the last forward call.

        Parameters
        ----------
        grad_s : array_like, shape (n, k)
            Gradient of the loss with respect to the probabilities.

        Returns
        -------
        grad_z : ndarray, shape (n, k)
            Row ``i`` is ``J_i^T g_i = s_i * (g_i - <g_i, s_i>)``, computed
            without building the Jacobian.
        """
        raise NotImplementedError("TODO: return J^T g for every row, using the s cached by forward, without building the Jacobian J")

    def jacobian(self, z):
        """Per-sample Jacobian of the softmax at ``z`` (does not touch the cache).

        Parameters
        ----------
        z : array_like, shape (n, k)
            Logits.

        Returns
        -------
        J : ndarray, shape (n, k, k)
            ``J[i] = diag(s_i) - s_i s_i^T`` with ``s = softmax(z)``;
            symmetric, every row and column sums to 0.
        """
        raise NotImplementedError("TODO: compute s = softmax(z) and return every row's full Jacobian of the softmax, off-diagonal terms included, shape (n, k, k); do not sum it over any axis")


class Linear:
    """Affine layer ``y = x @ W + b``.

    Parameters
    ----------
    in_features, out_features : int
        Layer sizes.
    rng : numpy.random.Generator, optional
        Source of the initial weights; a fresh ``default_rng()`` when omitted.

    Attributes
    ----------
    W : ndarray, shape (in_features, out_features), float64
    b : ndarray, shape (out_features,), float64
        Parameters, initialised like PyTorch's ``nn.Linear``: both drawn from
        ``U(-1/sqrt(in_features), 1/sqrt(in_features))`` (zero mean, scaled by
        fan-in). The grader sets and reads them directly.
    dW, db : ndarray or None
        Gradients from the last ``backward``, same shapes as ``W`` and ``b``;
        each ``backward`` overwrites them (never accumulates).
    x : ndarray or None
        The input of the last ``forward``, cached for ``backward``.
    """

    def __init__(self, in_features, out_features, rng=None):
        raise NotImplementedError("TODO: set self.W (in_features, out_features) and self.b (out_features,) drawn at random with zero mean and a scale of 1/sqrt(in_features) using rng; set self.dW = self.db = self.x = None")

    def forward(self, x):
        """Compute ``x @ W + b``.

        Parameters
        ----------
        x : array_like, shape (n, in_features)

        Returns
        -------
        y : ndarray, shape (n, out_features), same float dtype as ``x``.
        """
        raise NotImplementedError("TODO: cache x in self.x and return the affine map of x by W and b")

    def backward(self, grad_y):
        """Set ``dW`` and ``db`` and return the gradient for the input.

        Parameters
        ----------
        grad_y : array_like, shape (n, out_features)

        Returns
        -------
        grad_x : ndarray, shape (n, in_features)
            ``grad_y @ W.T``.
        """
        raise NotImplementedError("TODO: set dW (shape of W) and db (shape of b, summed over the batch axis) from the cached x and grad_y, and return the gradient for the layer before; overwrite dW/db, never add to them")
