"""The grader's own cross-entropy losses, for any target rows: one-hot or soft (each row a distribution).

The cross-entropy of a soft target row ``t`` is ``-sum_k t_k log p_k`` (docs/API.md);
with a one-hot row it is ``-log p_true``. Both losses are means over samples.
"""
from __future__ import annotations

import numpy as np

#: The documented clip of probabilities before the log (``reference.losses.CE_EPS``).
CE_EPS = 1e-12


def cross_entropy(probs: np.ndarray, target: np.ndarray) -> float:
    """``mean_i -sum_k target_ik log(clip(probs_ik, 1e-12, 1))``."""
    # NOTE: the clip keeps 0 * log(0) at 0 (not nan) and a zero true-class probability finite.
    return float(-np.sum(target * np.log(np.clip(probs, CE_EPS, 1.0))) / probs.shape[0])


def cross_entropy_gradient(probs: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``-target / clip(probs, 1e-12, 1) / n``."""
    return -target / np.clip(probs, CE_EPS, 1.0) / probs.shape[0]


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise ``z - logsumexp(z)``."""
    # NOTE: shifting by the row max first keeps exp from overflowing; log(softmax) would underflow to -inf.
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def softmax_cross_entropy(logits: np.ndarray, target: np.ndarray) -> float:
    """``mean_i -sum_k target_ik log_softmax(z_i)_k``."""
    return float(-np.sum(target * log_softmax(logits)) / logits.shape[0])


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise ``exp(z - max z) / sum(...)``."""
    # NOTE: subtracting the row max first keeps exp from overflowing at large logits.
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def softmax_cross_entropy_gradient(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``(softmax(z) - target) / n``: valid for soft rows because each target row sums to 1."""
    return (softmax(logits) - target) / logits.shape[0]


def argmax_one_hot(target: np.ndarray) -> np.ndarray:
    """The one-hot rows of each target row's largest entry (what ``np.argmax(target, axis=1)`` keeps)."""
    return np.eye(target.shape[1])[np.argmax(target, axis=1)]


def soft_targets(rng: np.random.Generator, n: int, k: int, *, smoothing: float = 0.1) -> np.ndarray:
    """``n`` soft target rows: a permuted ``[0.7, 0.2, 0.1, 0, ...]``, a label-smoothed one-hot, then Dirichlet rows."""
    rows = rng.dirichlet(np.ones(k), size=n)
    rows[0] = rng.permutation(np.r_[0.7, 0.2, 0.1, np.zeros(k - 3)])
    rows[1] = np.full(k, smoothing / k)
    rows[1, rng.integers(k)] += 1.0 - smoothing
    return rows
