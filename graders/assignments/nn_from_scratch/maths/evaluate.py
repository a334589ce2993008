"""The grader's own forward pass, used to score parameters read back from a worker.

Training checks let the student's code train but never let it report its own
accuracy: the grader reads the parameters back and evaluates them here.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

#: The four XOR inputs, one per row (targets: 0, 1, 1, 0).
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def init_params(sizes, rng: np.random.Generator) -> list[np.ndarray]:
    """Initial ``[W0, b0, W1, b1, ...]`` drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, size=(fan_in, fan_out)))
        params.append(rng.uniform(-bound, bound, size=fan_out))
    return params


def logistic(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) written with tanh, which cannot overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def layer_outputs(params, x: np.ndarray, *, output_sigmoid: bool) -> Iterator[np.ndarray]:
    """Yield the output of every layer of the sigmoid MLP ``params`` on ``x``, first to last (float64).

    Parameters
    ----------
    params : sequence of ndarray
        ``[W0, b0, W1, b1, ...]`` with ``W`` of shape ``(in, out)``.
    x : ndarray
        Inputs, ``(n, in)``.
    output_sigmoid : bool
        Whether a ``Sigmoid`` follows the last ``Linear`` (else its output is the logits).
    """
    h = np.asarray(x, dtype=np.float64)
    layers = len(params) // 2
    for i in range(layers):
        h = h @ params[2 * i] + params[2 * i + 1]
        if i < layers - 1 or output_sigmoid:
            h = logistic(h)
        yield h


def mlp_outputs(params, x: np.ndarray, *, output_sigmoid: bool) -> np.ndarray:
    """Outputs of the sigmoid MLP ``params`` (logits unless ``output_sigmoid``)."""
    h = np.asarray(x, dtype=np.float64)
    for h in layer_outputs(params, h, output_sigmoid=output_sigmoid):  # only the last layer's is kept
        pass
    return h


def predictions(params, x: np.ndarray, *, output_sigmoid: bool) -> np.ndarray:
    """Class predictions: argmax of the outputs, or output > 0.5 for a single sigmoid output."""
    out = mlp_outputs(params, x, output_sigmoid=output_sigmoid)
    if out.shape[1] == 1:
        return (out[:, 0] > 0.5).astype(np.int64)
    return np.argmax(out, axis=1)
