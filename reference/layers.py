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
        ### BEGIN SOLUTION (TODO: apply the logistic sigmoid elementwise without overflow warnings for large |x| (exponentiate only non-positive numbers); cache the output in self.y and return it) (CODE: y = 1 / (1 + exp(-x)), computed from e = exp(-|x|) as 1 / (1 + e) where x >= 0 and e / (1 + e) where x < 0)
        x = as_float_array(x)
        # NOTE: exp(-x) overflows for x < -709 (float64) and warns. Evaluate
        # exp(-|x|), which lies in (0, 1], and pick the algebraically equal
        # form for each sign: 1/(1+e) for x >= 0 and e/(1+e) for x < 0.
        e = np.exp(-np.abs(x))
        y = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)
        self.y = y
        return y
        ### END SOLUTION

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
        ### BEGIN SOLUTION (TODO: multiply grad_y by the sigmoid's derivative, written in terms of the OUTPUT y cached by forward (not the input x)) (CODE: dL/dx = grad_y * y * (1 - y))
        y = self.y
        # NOTE: sigma'(x) = y * (1 - y) is written in terms of the output y.
        # Applying it to the pre-activation x (x * (1 - x)) is a classic bug.
        return as_float_array(grad_y) * y * (1.0 - y)
        ### END SOLUTION


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
        ### BEGIN SOLUTION (TODO: shift each row by its own maximum before exponentiating, then divide each row by its sum; cache s in self.s and return it) (CODE: e = exp(z - max of the row, keepdims); s = e / sum of e over the row, keepdims)
        z = as_float_array(z)
        # NOTE: exp overflows to inf above ~709.78 and underflows to 0 below
        # ~-745, giving inf/inf = NaN or 0/0 = NaN. Softmax is invariant to
        # adding a constant per row, so shift each ROW by its own max:
        # the largest exponent becomes exp(0) = 1 and the sum is >= 1.
        # NOTE: axis=1 with keepdims=True; without keepdims the (n,) max
        # broadcasts against the columns and is silently wrong when n == k.
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e / e.sum(axis=1, keepdims=True)
        self.s = s
        return s
        ### END SOLUTION

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
        ### BEGIN SOLUTION (TODO: return J^T g for every row, using the s cached by forward, without building the Jacobian J) (CODE: per row, grad_z = s * (g - sum(g * s)) with the sum taken over the row (keepdims))
        s = self.s
        g = as_float_array(grad_s)
        # NOTE: the off-diagonal terms -s_i s_j matter. Keeping only the
        # diagonal s * (1 - s) is the most common softmax bug.
        return s * (g - np.sum(g * s, axis=1, keepdims=True))
        ### END SOLUTION

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
        ### BEGIN SOLUTION (TODO: compute s = softmax(z) and return every row's full Jacobian of the softmax, off-diagonal terms included, shape (n, k, k); do not sum it over any axis) (CODE: J[i] = diag(s_i) - outer(s_i, s_i))
        saved = self.s
        s = self.forward(z)
        self.s = saved
        # NOTE: summing J over its rows gives exactly 0 (each column sums to
        # 0): a "gradient" of all zeros is the signature of that bug.
        return s[:, :, None] * np.eye(s.shape[1], dtype=s.dtype) - s[:, :, None] * s[:, None, :]
        ### END SOLUTION


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
        ### BEGIN SOLUTION (TODO: set self.W (in_features, out_features) and self.b (out_features,) drawn at random with zero mean and a scale of 1/sqrt(in_features) using rng; set self.dW = self.db = self.x = None) (CODE: both from U(-1/sqrt(in_features), 1/sqrt(in_features)))
        rng = np.random.default_rng() if rng is None else rng
        bound = 1.0 / np.sqrt(in_features)
        # NOTE: identical (e.g. all-zero) initial weights make every hidden
        # unit compute the same function forever; all-positive weights from
        # rand() slow learning. Zero-mean random values break the symmetry.
        self.W = rng.uniform(-bound, bound, size=(in_features, out_features))
        self.b = rng.uniform(-bound, bound, size=(out_features,))
        self.dW = None
        self.db = None
        self.x = None
        ### END SOLUTION

    def forward(self, x):
        """Compute ``x @ W + b``.

        Parameters
        ----------
        x : array_like, shape (n, in_features)

        Returns
        -------
        y : ndarray, shape (n, out_features), same float dtype as ``x``.
        """
        ### BEGIN SOLUTION (TODO: cache x in self.x and return the affine map of x by W and b) (CODE: x @ W + b)
        x = as_float_array(x)
        self.x = x
        return (x @ self.W + self.b).astype(x.dtype, copy=False)
        ### END SOLUTION

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
        ### BEGIN SOLUTION (TODO: set dW (shape of W) and db (shape of b, summed over the batch axis) from the cached x and grad_y, and return the gradient for the layer before; overwrite dW/db, never add to them) (CODE: dW = x.T @ grad_y, db = grad_y summed over axis 0, return grad_y @ W.T)
        g = as_float_array(grad_y)
        # NOTE: x.T @ g, not g.T @ x: the transposed form has the shape of
        # W.T and only "works" (silently wrong) for square layers.
        self.dW = (self.x.T @ g).astype(self.W.dtype, copy=False)
        # NOTE: the bias gradient sums over the batch (axis 0): not a mean,
        # not a scalar, not left as (n, out).
        self.db = g.sum(axis=0).astype(self.b.dtype, copy=False)
        return (g @ self.W.T).astype(g.dtype, copy=False)
        ### END SOLUTION
