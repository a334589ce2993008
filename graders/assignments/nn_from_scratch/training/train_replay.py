"""The grader's own runs of ``train()``: the documented loop, its accepted loss records, and known wrong loops.

``xor.train_function`` judges the student's ``train`` on the grader's stand-in
network and loss, so the trained parameters depend only on the loop itself.
This module says what they should be, which per-epoch loss records are
accepted (the batch-size-weighted mean documented in docs/API.md, the plain
mean or the sum of the batch losses, or the full-data loss after the epoch), and what
the parameters would be after the usual wrong loops, so a failure names the
loop's mistake from what was measured.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nngrade.assignments.nn_from_scratch.maths.backprop import gradients, loss_gradient
from nngrade.assignments.nn_from_scratch.maths.evaluate import layer_outputs, mlp_outputs

#: Accepted per-epoch records: name -> what the student is told when it is not the documented one.
HISTORIES = {
    "weighted": "the batch losses weighted by batch size, divided by n (docs/API.md)",
    "plain": "the plain mean of the batch losses (the last, smaller batch weighs as much as a full one)",
    "after": "the loss on the whole data set after the epoch",
    "sum": "the sum of the batch losses (it grows with the number of batches)",
}

#: Wrong loops recognised from the trained parameters: name -> (what was measured, the fix).
WRONG_LOOPS = {
    "update_first": ("each layer's weights were updated before the error was propagated back through them: the "
                     "hidden layers' gradients used the already-updated weights",
                     "run network.backward(loss.backward()) to the end, then network.step(lr); never update a "
                     "layer inside the backward pass"),
    "no_shuffle": ("the batches were taken in the data's own order, without rng.permutation(n)",
                   "order = rng.permutation(n) at the start of every epoch, then consecutive slices of it"),
    "one_permutation": ("one permutation was used for every epoch",
                        "call rng.permutation(n) once per epoch, inside the epoch loop"),
    "drop_last": ("the last, smaller batch of each epoch was dropped",
                  "walk range(0, n, batch_size); the last slice may be smaller than batch_size"),
}
#: A loop that moves the parameters by ``+lr * grad`` (uphill), alone or with one of :data:`WRONG_LOOPS`.
ASCENT = ("the parameters moved by +lr * grad, up the gradient of the loss",
          "descend: p -= lr * grad (or call network.step(lr), which does it)")

LOSS = "SoftmaxCrossEntropyLoss"


def mean_loss(params, x: np.ndarray, y: np.ndarray) -> float:
    """Softmax cross-entropy of the network ``params`` on ``(x, y)``, a mean over samples."""
    z = mlp_outputs(params, x, output_sigmoid=False)
    # NOTE: the row max comes out of the exp, so no logit overflows.
    peak = z.max(axis=1, keepdims=True)
    log_sum = peak + np.log(np.exp(z - peak).sum(axis=1, keepdims=True))
    return float(np.sum(y * (log_sum - z)) / len(x))


def _update_first_step(params: list[np.ndarray], x: np.ndarray, y: np.ndarray, lr: float) -> None:
    """One batch of the loop that updates each layer as soon as its gradient is known (last layer first)."""
    activations = [x, *layer_outputs(params, x, output_sigmoid=False)]
    grad = loss_gradient(activations[-1], y, LOSS)
    layers = len(params) // 2
    for i in reversed(range(layers)):
        if i < layers - 1:
            out = activations[i + 1]
            grad = grad * out * (1.0 - out)
        params[2 * i] -= lr * (activations[i].T @ grad)
        params[2 * i + 1] -= lr * grad.sum(axis=0)
        if i:
            grad = grad @ params[2 * i].T  # the weights just updated: the mistake


def run(params: Sequence[np.ndarray], x, y, *, epochs: int, lr: float, batch_size: int, seed: int,
        loop: str = "documented", ascent: bool = False) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Train ``params`` on ``(x, y)`` with the documented loop, or with one of :data:`WRONG_LOOPS`.

    Returns
    -------
    final : list of ndarray
        The parameters after training.
    histories : dict of str to ndarray
        Each accepted per-epoch record of :data:`HISTORIES`.
    """
    current = [np.array(p, dtype=np.float64) for p in params]
    lr = -lr if ascent else lr
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = x.shape[0]
    rng = np.random.default_rng(seed)
    fixed = rng.permutation(n) if loop == "one_permutation" else None
    records: dict[str, list[float]] = {name: [] for name in HISTORIES}
    for _epoch in range(epochs):
        order = np.arange(n) if loop == "no_shuffle" else fixed if fixed is not None else rng.permutation(n)
        values, sizes = [], []
        for idx in np.split(order, np.arange(batch_size, n, batch_size)):
            if loop == "drop_last" and len(idx) < batch_size:
                continue
            values.append(mean_loss(current, x[idx], y[idx]))
            sizes.append(len(idx))
            if loop == "update_first":
                _update_first_step(current, x[idx], y[idx], lr)
                continue
            steps = gradients(current, x[idx], y[idx], loss=LOSS, output_sigmoid=False)
            current = [value - lr * gradient for value, gradient in zip(current, steps)]
        records["weighted"].append(float(np.dot(values, sizes) / n))
        records["plain"].append(float(np.mean(values)))
        records["after"].append(mean_loss(current, x, y))
        records["sum"].append(float(np.sum(values)))
    return current, {name: np.asarray(values) for name, values in records.items()}


def recognise_loop(final: Sequence[np.ndarray], params, x, y, *, epochs: int, lr: float, batch_size: int,
                   seed: int, rtol: float) -> tuple[str, str] | None:
    """What was measured and the fix, when ``final`` is exactly the result of a known wrong loop; else None."""
    candidates = [(loop, False) for loop in WRONG_LOOPS] + [("documented", True)] + [
        (loop, True) for loop in WRONG_LOOPS]
    for loop, ascent in candidates:
        candidate, _ = run(params, x, y, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, loop=loop,
                           ascent=ascent)
        if all(np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=rtol, atol=1e-12)
               for a, b in zip(final, candidate)):
            parts = ([ASCENT] if ascent else []) + ([WRONG_LOOPS[loop]] if loop in WRONG_LOOPS else [])
            return " and ".join(m for m, _ in parts), "; ".join(f for _, f in parts)
    return None


def matching_history(history: np.ndarray, histories: dict[str, np.ndarray], rtol: float) -> str | None:
    """The first accepted record of :data:`HISTORIES` that ``history`` equals, or None."""
    for name, values in histories.items():
        if history.shape == values.shape and np.all(np.isfinite(history)) and np.allclose(
                history, values, rtol=rtol, atol=1e-12):
            return name
    return None
