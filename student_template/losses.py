# Generated from reference/losses.py by `nngrade template build`: edit the reference, not this file.
"""Losses: MSELoss, CrossEntropyLoss and SoftmaxCrossEntropyLoss.

Every loss is a *mean*: ``forward`` returns a Python float and ``backward()``
(no argument) returns the gradient of that mean with respect to the first
argument of the last ``forward`` call. Targets for classification are one-hot
(or soft) float arrays of shape ``(n, k)``.
"""
from __future__ import annotations

import numpy as np

from .layers import as_float_array

#: Probabilities are clipped to ``[CE_EPS, 1]`` inside the cross-entropy, so a
#: zero probability on the true class costs ``-log(1e-12) = 27.631`` per sample
#: instead of ``inf``, and its gradient is ``-1e12 / n`` instead of ``-inf``.
CE_EPS = 1e-12


class MSELoss:
    """Mean squared error over all elements: ``mean((pred - target) ** 2)``."""

    def __init__(self) -> None:
        self.diff = None

    def forward(self, pred, target):
        """Mean of the squared differences over all ``n * d`` elements.

        Parameters
        ----------
        pred, target : array_like, shape (n, d)

        Returns
        -------
        loss : float
        """
        raise NotImplementedError("TODO: return the mean of the squared differences over ALL elements as a float; cache what backward needs")

    def backward(self):
        """Gradient of the mean with respect to ``pred``.

        Returns
        -------
        grad : ndarray, shape (n, d)
            ``2 * (pred - target) / (n * d)``.
        """
        raise NotImplementedError("TODO: return the derivative of that mean with respect to pred (the factor 2 of the square, divided by the number of elements)")


class CrossEntropyLoss:
    """Mean over samples of ``-sum_k target_k * log(probs_k)``.

    Notes
    -----
    Probabilities are clipped to ``[CE_EPS, 1]`` with ``CE_EPS = 1e-12``:
    ``0 * log 0`` counts as 0, and a zero probability on the true class gives
    the finite loss ``27.631`` for that sample, never NaN or inf.
    """

    def __init__(self) -> None:
        self.probs = None
        self.target = None

    def forward(self, probs, target):
        """Cross-entropy of predicted probabilities against targets.

        Parameters
        ----------
        probs : array_like, shape (n, k)
            Probabilities (rows sum to 1), e.g. the output of ``Softmax``.
        target : array_like, shape (n, k)
            One-hot (or soft) targets.

        Returns
        -------
        loss : float
            ``mean_i ( -sum_k target_ik * log(clip(probs_ik, 1e-12, 1)) )``.
        """
        raise NotImplementedError("TODO: clip probs to [1e-12, 1], return the MEAN over samples of -sum_k target*log(probs) (natural log) as a float; cache for backward")

    def backward(self):
        """Gradient of the mean with respect to ``probs``.

        Returns
        -------
        grad : ndarray, shape (n, k)
            ``-target / clip(probs, 1e-12, 1) / n``.
        """
        raise NotImplementedError("TODO: return the derivative of the mean loss with respect to probs, using the clipped probabilities")


class SoftmaxCrossEntropyLoss:
    """Softmax followed by cross-entropy, fused for stability.

    ``forward`` takes logits; ``backward()`` returns ``(softmax(z) - target) / n``,
    the gradient with respect to the logits. Use it *instead of* a ``Softmax``
    layer at the end of the network, never after one.
    """

    def __init__(self) -> None:
        self.probs = None
        self.target = None

    def forward(self, logits, target):
        """Mean cross-entropy of ``softmax(logits)`` via log-sum-exp.

        Parameters
        ----------
        logits : array_like, shape (n, k)
        target : array_like, shape (n, k)

        Returns
        -------
        loss : float
            ``mean_i sum_k target_ik * (logsumexp(z_i) - z_ik)``.
        """
        raise NotImplementedError("TODO: compute the log-softmax of each row stably (shift by the row max first); loss = MEAN over samples of -sum_k target * log_softmax; cache softmax(z) and target for backward")

    def backward(self):
        """Gradient of the mean loss with respect to the logits.

        Returns
        -------
        grad : ndarray, shape (n, k)
            ``(softmax(logits) - target) / n``.
        """
        raise NotImplementedError("TODO: return the gradient with respect to the logits, averaged over the batch; it already includes the softmax derivative, do not apply it again")
