"""Gradients of the usual ways of composing backpropagation wrongly, for messages drawn from evidence.

``gradients.network_backward`` runs the student's ``Network.backward`` over
the grader's stand-in layers, so the layers' own derivatives are right and
only the composition can be wrong. When the gradients differ, these
functions say what each well-known composition mistake would have produced
on the same inputs; a match names the mistake. Computed in float64 from the
grader's own formulas, never from the reference.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nngrade.assignments.nn_from_scratch.maths.evaluate import layer_outputs

#: name -> (what was measured, the fix that follows).
MISTAKES = {
    "output_activation_skipped": (
        "the output layer's activation derivative was skipped: the loss gradient went straight to the last "
        "Linear, as if the final Sigmoid's backward were the identity",
        "call every layer's backward in reverse order, the final Sigmoid's too (grad * y * (1 - y))"),
    "hidden_activation_skipped": (
        "the hidden error was computed without the hidden activation's derivative: the gradient from a Linear "
        "went to the Linear before it without passing through the Sigmoid between them",
        "pass each gradient through every layer in reverse order, the hidden Sigmoids included"),
}


def composed_gradients(params: Sequence[np.ndarray], x: np.ndarray, grad_out: np.ndarray, *, output_sigmoid: bool,
                       skip_output: bool = False, skip_hidden: bool = False) -> tuple[list[np.ndarray], np.ndarray]:
    """``[dW0, db0, ...]`` and the input gradient when ``grad_out`` is backpropagated, optionally skipping sigmoids."""
    params = [np.asarray(p, dtype=np.float64) for p in params]
    activations = [np.asarray(x, dtype=np.float64), *layer_outputs(params, x, output_sigmoid=output_sigmoid)]
    grad = np.asarray(grad_out, dtype=np.float64)
    layers = len(params) // 2
    result: list[np.ndarray] = [np.empty(0)] * len(params)
    for i in reversed(range(layers)):
        sigmoid_after = i < layers - 1 or output_sigmoid
        skipped = skip_output if i == layers - 1 else skip_hidden
        if sigmoid_after and not skipped:
            out = activations[i + 1]
            grad = grad * out * (1.0 - out)
        result[2 * i] = activations[i].T @ grad
        result[2 * i + 1] = grad.sum(axis=0)
        grad = grad @ params[2 * i].T
    return result, grad


def recognise(yours: Sequence[np.ndarray | None], params, x, grad_out, *, output_sigmoid: bool,
              rtol: float) -> str | None:
    """The :data:`MISTAKES` key whose gradients equal ``yours`` (``[dW0, db0, ...]``, None where unread), or None."""
    candidates = {"output_activation_skipped": dict(skip_output=True),
                  "hidden_activation_skipped": dict(skip_hidden=True)}
    for name, flags in candidates.items():
        if name == "output_activation_skipped" and not output_sigmoid:
            continue
        expected, _ = composed_gradients(params, x, grad_out, output_sigmoid=output_sigmoid, **flags)
        if all(a is not None and np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=rtol, atol=1e-12)
               for a, b in zip(yours, expected)):
            return name
    return None


def first_diverging_layer(yours: Sequence[np.ndarray | None], expected: Sequence[np.ndarray], rtol: float) -> int:
    """Index of the Linear layer, counted from the output backwards, whose dW or db first differs."""
    layers = len(expected) // 2
    for i in reversed(range(layers)):
        for j in (2 * i, 2 * i + 1):
            if yours[j] is None or np.shape(yours[j]) != np.shape(expected[j]) or not np.allclose(
                    yours[j], expected[j], rtol=rtol, atol=1e-12):
                return i
    return -1
