"""The grader's own gradients and SGD replay for the sigmoid MLPs of the training checks.

Training checks let the student's code train, then verify that every
parameter update was ``-lr`` times the true gradient of the loss for that
batch. The true gradient is computed here, in float64, from the parameters the
student's network held at that step; nothing here comes from the reference
package (a student bundle has none).

Networks: ``Linear -> Sigmoid -> ... -> Linear`` (optionally a final
``Sigmoid``), parameters ``[W0, b0, W1, b1, ...]`` with ``W`` of shape
``(in, out)``. Losses (as in docs/API.md):

``"SoftmaxCrossEntropyLoss"``
    mean over samples of ``-sum(y * log_softmax(z))``; gradient ``(softmax(z) - y) / n``.
``"MSELoss"``
    mean over all elements of ``(out - y) ** 2``; gradient ``2 * (out - y) / out.size``.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from nngrade.assignments.nn_from_scratch.maths.evaluate import layer_outputs
from nngrade.assignments.nn_from_scratch.maths.losses import softmax_cross_entropy_gradient

LOSSES = ("SoftmaxCrossEntropyLoss", "MSELoss")


def loss_gradient(out: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """Gradient of the mean loss with respect to the network output ``out``."""
    if loss == "SoftmaxCrossEntropyLoss":
        return softmax_cross_entropy_gradient(out, y)
    if loss == "MSELoss":
        return 2.0 * (out - y) / out.size
    raise ValueError(f"unknown loss {loss!r}; expected one of {LOSSES}")


def gradients(params: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray, *, loss: str,
              output_sigmoid: bool) -> list[np.ndarray]:
    """True gradients ``[dW0, db0, dW1, db1, ...]`` of the mean loss on the batch ``(x, y)``.

    Parameters
    ----------
    params : sequence of ndarray
        ``[W0, b0, W1, b1, ...]`` (any float dtype; computed in float64).
    x, y : ndarray
        The batch and its targets, ``(n, in)`` and ``(n, out)``.
    loss : {"SoftmaxCrossEntropyLoss", "MSELoss"}
    output_sigmoid : bool
        Whether a ``Sigmoid`` follows the last ``Linear``.
    """
    params = [np.asarray(p, dtype=np.float64) for p in params]
    x = np.asarray(x, dtype=np.float64)
    activations = [x, *layer_outputs(params, x, output_sigmoid=output_sigmoid)]
    grad = loss_gradient(activations[-1], np.asarray(y, dtype=np.float64), loss)
    layers = len(params) // 2
    result: list[np.ndarray] = [np.empty(0)] * len(params)
    for i in reversed(range(layers)):
        if i < layers - 1 or output_sigmoid:
            out = activations[i + 1]
            grad = grad * out * (1.0 - out)
        result[2 * i] = activations[i].T @ grad
        result[2 * i + 1] = grad.sum(axis=0)
        if i:
            grad = grad @ params[2 * i].T
    return result


def replay(params: Sequence[np.ndarray], batches: Iterable[tuple[np.ndarray, np.ndarray]], lr: float, *,
           loss: str, output_sigmoid: bool, record: Iterable[int] = ()) -> tuple[list, dict]:
    """Plain SGD from ``params`` with the true gradients, one step per ``(x, y)`` batch.

    Returns
    -------
    final : list of ndarray
        The parameters after the last step.
    recorded : dict of int to list of ndarray
        Copies of the parameters *before* each step in ``record``.
    """
    current = [np.array(p, dtype=np.float64) for p in params]
    wanted = set(record)
    recorded: dict[int, list[np.ndarray]] = {}
    for step, (x, y) in enumerate(batches):
        if step in wanted:
            recorded[step] = [p.copy() for p in current]
        for param, grad in zip(current, gradients(current, x, y, loss=loss, output_sigmoid=output_sigmoid)):
            param -= lr * grad
    return current, recorded
