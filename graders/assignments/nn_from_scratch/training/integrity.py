"""Training integrity: parameters move only by ``-lr`` times the true gradient of each batch.

The XOR and MNIST checks let the student's code train and then score the
parameters read back from the worker. Without this module a ``step`` that
loads pretrained weights, or a network whose parameters jump, would score
like honest training. :func:`verify_training` closes that door with checks
the student's code cannot influence:

1. **Start**: at step 0 ``Network.parameters()`` holds the parameters the
   grader set.
2. **Spot checks** at steps drawn with the grader's rng (step 0, the last
   step, and pairs of consecutive steps): the update ``updated - params``
   equals ``-lr * g`` where ``g`` is the true gradient of the loss for that
   step's batch at the student's own parameters (:mod:`nngrade.assignments.nn_from_scratch.maths.backprop`).
3. **Continuity** between consecutive spot-checked steps: nothing but
   ``step`` changes the parameters.
4. **End**: the parameters read back after training are the ones the last
   ``step`` produced.
5. **Replay**: the grader runs the same SGD itself from the same start over
   the same batches; the student's parameters at every spot-checked step and
   at the end stay within ``training_drift`` of that trajectory (relative to
   the distance travelled), so a jump at a step that was not spot-checked is
   caught too.

Tolerances (``[tolerances]`` in the configuration): an update matches when
``|moved - expected| <= update_rtol * (|expected| + max|expected|)`` plus
four float32 ulps of the parameter, so students computing in float32 pass.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nngrade.assignments.nn_from_scratch.common import format_number, parameter_name
from nngrade.assignments.nn_from_scratch.maths import backprop
from nngrade.assignments.nn_from_scratch.training import replays

#: Tag mixed into the seed of the rng that picks the spot-checked steps.
SPOT_CHECK_TAG = 0x5EED
FLOAT32_EPS = float(np.finfo(np.float32).eps)
ULPS = 4.0
KEYS = ("params", "grads", "updated")
#: Networks with at most this many parameters are spot-checked stacked (:func:`_checks_at_once`): for
#: them the per-step overhead dominates, for larger ones the copies into the stacks would.
STACKED_CHECKS_LIMIT = 10_000
#: Fraction of the reply cap that snapshots may use.
SNAPSHOT_SHARE = 0.5


@dataclass(frozen=True)
class TrainingRun:
    """What the grader asked the worker to do (everything on the grader's side).

    Attributes
    ----------
    sizes : tuple of int
        Layer widths, e.g. ``(2, 4, 2)``.
    output_sigmoid : bool
    loss : str
        ``"SoftmaxCrossEntropyLoss"`` or ``"MSELoss"``.
    x, y : ndarray
        The data sent to the worker.
    batches : sequence of ndarray
        Index arrays, one per step.
    lr : float
    init : list of ndarray
        ``[W0, b0, W1, b1, ...]`` set before training.
    scale : float, optional
        The worker holds ``x.astype(float64) * scale`` (``WorkerSession.store``);
        batches are converted the same way, so they are bit-for-bit the worker's.
    """

    sizes: tuple
    output_sigmoid: bool
    loss: str
    x: np.ndarray
    y: np.ndarray
    batches: Sequence[np.ndarray]
    lr: float
    init: list
    scale: float | None = None

    def shapes(self) -> list[tuple[int, ...]]:
        return [p.shape for p in self.init]

    def fingerprint(self, steps: Sequence[int]) -> str:
        """Identifies the replay of this run recorded at `steps` (everything it depends on)."""
        batches = [np.asarray(b) for b in self.batches]
        kinds = sorted({b.dtype.str for b in batches})
        header = (self.sizes, self.output_sigmoid, self.loss, float(self.lr), self.scale, list(steps), len(batches))
        if len(kinds) == 1:  # one array of all indices plus the batch lengths identifies them all
            arrays = [np.array([len(b) for b in batches], dtype=np.int64), np.concatenate(batches)]
            header += (kinds[0],)
        else:
            arrays = batches
        digest = hashlib.sha256(repr(header).encode())
        for array in [self.x, self.y, *self.init, *arrays]:
            array = np.ascontiguousarray(array)
            digest.update(repr((array.dtype.str, array.shape)).encode())
            digest.update(array.view(np.uint8).reshape(-1) if array.size else b"")
        return digest.hexdigest()

    def batch(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """The float64 inputs and targets of ``step`` as the worker saw them."""
        indices = self.batches[step]
        x = self.x[indices].astype(np.float64)
        return (x if self.scale is None else x * self.scale), np.asarray(self.y[indices], dtype=np.float64)


def snapshot_steps(run: TrainingRun, *, pairs: int, seed: int, reply_cap: int) -> list[int]:
    """Steps to spot-check: 0, the last one, and ``pairs`` random consecutive pairs.

    Fewer steps are taken when their snapshots would not fit in half the reply cap.
    """
    steps = len(run.batches)
    per_snapshot = 3 * sum(p.size for p in run.init) * 8 + 4096
    room = max(int(SNAPSHOT_SHARE * reply_cap) // per_snapshot, 0)
    chosen = [s for s in dict.fromkeys([0, steps - 1]) if s >= 0][:room]
    rng = np.random.default_rng([SPOT_CHECK_TAG, seed])
    starts = rng.permutation(max(steps - 1, 0))[:pairs]
    for start in starts:
        extra = [s for s in (int(start), int(start) + 1) if s not in chosen]
        if len(chosen) + len(extra) > room:
            break
        chosen += extra
    return sorted(chosen)


def _tolerance(expected: np.ndarray, params: np.ndarray, rtol: float, scale=None) -> np.ndarray:
    if scale is None:  # the largest |expected| of this step; stacked steps pass theirs
        scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    return rtol * (np.abs(expected) + scale) + ULPS * FLOAT32_EPS * np.abs(params) + 1e-300


def _worst(diff: np.ndarray, tolerance: np.ndarray) -> tuple[int, ...] | None:
    bad = diff > tolerance
    if not bad.any():
        return None
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(np.where(bad, diff / tolerance, 0.0))),
                                                 diff.shape))


def _fmt(value: float) -> str:
    return format_number(value, 6)


class IntegrityError(Exception):
    """The training did not follow plain SGD with the true gradient; the message says where."""


class WrongGradient(IntegrityError):
    """Every update was ``-lr`` times the reported gradient, but that gradient is not the true one.

    Not an integrity failure: the step is right and a backward is wrong; the
    message names the factor or the first layer that differs, counted from the output.
    """


def _wrong_gradient(run: TrainingRun, step: int, grads, true, rtol: float) -> WrongGradient:
    """Describe how the reported gradients differ from the true ones at ``step``."""
    wrong = [i for i, (g, e) in enumerate(zip(grads, true))
             if _worst(np.abs(g - e), _tolerance(e, np.zeros_like(e), rtol)) is not None]
    flat_g = np.concatenate([np.ravel(g) for g in grads])
    flat_e = np.concatenate([np.ravel(e) for e in true])
    denominator = float(flat_e @ flat_e)
    factor = float(flat_g @ flat_e) / denominator if denominator > 0 else 0.0
    scaled = factor != 0.0 and np.allclose(flat_g, factor * flat_e, rtol=1e-6,
                                           atol=1e-9 * float(np.max(np.abs(flat_e))))
    head = (f"step {step}: every checked update was exactly -lr x your gradient, so the step is right, but the "
            "gradients themselves are not those of the loss: ")
    last = len(true) - 2
    first = max(wrong)
    where = _worst(np.abs(grads[first] - true[first]), _tolerance(true[first], np.zeros_like(true[first]), rtol))
    sample = f"yours {_fmt(grads[first][where])}, true {_fmt(true[first][where])}"
    if scaled:
        body = (f"every parameter's gradient is exactly {factor:.4g} x the true one ({sample} for "
                f"{parameter_name(first)} at {list(where)}), the signature of a constant factor in "
                f"{run.loss}.backward (its gradient check names it).")
    elif all(i < last for i in wrong):
        body = (f"the output layer's gradients are right and {parameter_name(first)} is the first to differ, "
                f"counting from the output ({sample} at {list(where)}), so the loss is not the cause: look at the "
                "backward of the layers below the output (Sigmoid.backward, Linear.backward) and at "
                "Network.backward (their checks name the unit).")
    else:
        body = (f"{parameter_name(first)} differs at {list(where)} ({sample}); the output layer's gradient is "
                f"already wrong, so look at {run.loss}.backward and at the output layer's backward first.")
    return WrongGradient(head + body)


def _arrays(values: list, key: str, shapes, step: int) -> list[np.ndarray]:
    """Validate one snapshot list (dtype, exact shape, finite) and return it as float64 arrays (never modified)."""
    arrays = []
    for index, (value, shape) in enumerate(zip(values, shapes)):
        what = "gradient of " if key == "grads" else ""
        if value.dtype.kind != "f" or value.shape != shape:
            raise IntegrityError(
                f"step {step}: Network.parameters() gave the {what}{parameter_name(index)} as a {value.dtype} "
                f"array of shape {value.shape}; expected float values of shape {shape}.")
        if not np.all(np.isfinite(value)):
            when = "after step()" if key == "updated" else "before step()"
            raise IntegrityError(f"step {step}: the {what}{parameter_name(index)} holds NaN or inf {when}.")
        arrays.append(np.asarray(value, dtype=np.float64))
    return arrays


def _parameter_order(params: list, run: TrainingRun) -> list[int]:
    """Index of each grader parameter in the student's list, found at step 0 by value."""
    def matches(candidate, expected):
        if candidate.shape != expected.shape:
            return False
        slack = 1e-6 * float(np.max(np.abs(expected), initial=0.0)) + ULPS * FLOAT32_EPS * np.abs(expected)
        return bool(np.all(np.abs(candidate - expected) <= slack))

    order = []
    for index, expected in enumerate(run.init):
        preferred = [index] if index < len(params) else []
        candidates = [i for i in preferred + list(range(len(params))) if i not in order]
        found = next((i for i in candidates if matches(params[i], expected)), None)
        if found is None:
            raise IntegrityError(
                f"step 0: Network.parameters() does not hold the initial {parameter_name(index)} the grader "
                "set; training must start from the parameters assigned to each Linear layer's W and b and "
                "update them only with the gradient.")
        order.append(found)
    return order


def _check_update(run: TrainingRun, step: int, params, grads, updated, rtol: float) -> None:
    x, y = run.batch(step)
    true = backprop.gradients(params, x, y, loss=run.loss, output_sigmoid=run.output_sigmoid)
    for index, (before, grad, after, exact) in enumerate(zip(params, grads, updated, true)):
        moved, expected = after - before, -run.lr * exact
        bound = _tolerance(expected, np.maximum(np.abs(before), np.abs(after)), rtol)
        where = _worst(np.abs(moved - expected), bound)
        if where is None:
            continue
        name = parameter_name(index)
        own = all(_worst(np.abs((a - b) + run.lr * g), _tolerance(-run.lr * e, np.maximum(np.abs(b), np.abs(a)),
                                                                  rtol)) is None
                  for b, g, a, e in zip(params, grads, updated, true))
        if own and _worst(np.abs(grad - exact), _tolerance(exact, np.zeros_like(exact), rtol)) is not None:
            raise _wrong_gradient(run, step, grads, true, rtol)
        raise IntegrityError(
            f"step {step}: your parameters moved by {_fmt(moved[where])} ({name} at {list(where)}) but "
            f"-lr * gradient is {_fmt(expected[where])} (lr {run.lr:g}); training must update parameters "
            "only with the gradient (Network.step: p -= lr * grad, nothing else).")


def _norm(array: np.ndarray) -> float:
    """``float(np.linalg.norm(array))`` for a float64 array, computed the same way without its overhead."""
    flat = array.ravel(order="K")
    return math.sqrt(flat.dot(flat))


def _check_drift(run: TrainingRun, label: str, yours: list, replayed: list, drift: float) -> None:
    for index, (mine, theirs, start) in enumerate(zip(yours, replayed, run.init)):
        travelled = _norm(theirs - start)
        distance = _norm(mine - theirs)
        if distance > drift * travelled + 1e-5 * _norm(theirs) + 1e-12:
            raise IntegrityError(
                f"{label}: {parameter_name(index)} is {_fmt(distance)} away from where plain SGD with the true "
                f"gradients leads from the same start (it travelled {_fmt(travelled)}; allowed drift "
                f"{drift:.0%} of that); training must update parameters only with the gradient.")


def _checks_in_order(run: TrainingRun, snapshots: list[dict], rtol: float) -> dict[int, tuple]:
    """Spot checks 1-3 snapshot by snapshot; raises at the first failure, else returns the arrays by step."""
    shapes = run.shapes()
    order: list[int] | None = None
    by_step: dict[int, tuple] = {}
    for snapshot in snapshots:
        step = snapshot["step"]
        for key in KEYS:
            if len(snapshot[key]) != len(shapes):
                raise IntegrityError(
                    f"step {step}: Network.parameters() returned {len(snapshot[key])} (param, grad) pairs; "
                    f"expected {len(shapes)} (W and b of each Linear layer, in layer order).")
        if order is None:
            order = _parameter_order(snapshot["params"], run)  # steps[0] is always 0
        params, grads, updated = (_arrays([snapshot[key][i] for i in order], key, shapes, step) for key in KEYS)
        _check_update(run, step, params, grads, updated, rtol)
        previous = by_step.get(step - 1)
        if previous is not None:
            for index, (after, now) in enumerate(zip(previous[2], params)):
                if not np.array_equal(after, now):
                    where = tuple(int(i) for i in np.argwhere(after != now)[0])
                    raise IntegrityError(
                        f"between steps {step - 1} and {step}: {parameter_name(index)} changed outside "
                        f"Network.step (at {list(where)}: {_fmt(after[where])} after step {step - 1}, "
                        f"{_fmt(now[where])} when step {step} began); training must update parameters "
                        "only with the gradient.")
        by_step[step] = (params, grads, updated)
    return by_step


def _checks_at_once(run: TrainingRun, snapshots: list[dict], rtol: float) -> dict[int, tuple] | None:
    """The same checks as :func:`_checks_in_order` on all snapshots stacked; None if any fails.

    Each parameter's snapshots are stacked along a new first axis and compared
    with the expressions of the step-by-step path, element for element (the
    true gradients are computed per step, as there), so this passes exactly
    when that path would. It only saves the per-step overhead of many steps of a small network.
    """
    shapes = run.shapes()
    if not snapshots or any(len(s[key]) != len(shapes) for s in snapshots for key in KEYS):
        return None if snapshots else {}
    try:
        order = _parameter_order(snapshots[0]["params"], run)
    except IntegrityError:
        return None
    stacked: dict[str, list[np.ndarray]] = {key: [] for key in KEYS}
    for key in KEYS:
        for index, shape in zip(order, shapes):
            values = [s[key][index] for s in snapshots]
            if any(v.dtype.kind != "f" or v.shape != shape for v in values):
                return None
            array = np.stack(values).astype(np.float64, copy=False)
            if not np.isfinite(array).all():
                return None
            stacked[key].append(array)
    steps = [s["step"] for s in snapshots]
    true = [backprop.gradients([p[position] for p in stacked["params"]], *run.batch(step), loss=run.loss,
                               output_sigmoid=run.output_sigmoid) for position, step in enumerate(steps)]
    following = [p for p in range(1, len(steps)) if steps[p] - 1 == steps[p - 1]]
    for index, (before, after) in enumerate(zip(stacked["params"], stacked["updated"])):
        moved, expected = after - before, -run.lr * np.stack([grads[index] for grads in true])
        scale = np.max(np.abs(expected), axis=tuple(range(1, expected.ndim)), keepdims=True)
        if _worst(np.abs(moved - expected), _tolerance(expected, np.maximum(np.abs(before), np.abs(after)), rtol,
                                                       scale)) is not None:
            return None
        if following and not np.array_equal(after[[p - 1 for p in following]], before[following]):
            return None
    return {step: tuple([array[position] for array in stacked[key]] for key in KEYS)
            for position, step in enumerate(steps)}


def verify_training(run: TrainingRun, snapshots: list[dict], steps: list[int], final: list[np.ndarray], *,
                    update_rtol: float, drift: float, replayed: replays.Pending | None = None) -> dict:
    """Check that training was plain SGD with the true gradients (see the module docstring).

    Parameters
    ----------
    run : TrainingRun
    snapshots : list of dict
        ``train_steps(..., snapshots=steps)["snapshots"]``.
    steps : list of int
        The steps that were requested.
    final : list of ndarray
        ``[W0, b0, ...]`` read back after training (already shape-checked).
    update_rtol, drift : float
        Tolerances from ``[tolerances]``.
    replayed : replays.Pending, optional
        The replay of `run` at `steps`, started with :func:`nngrade.assignments.nn_from_scratch.training.replays.start` while the
        worker trained (default: obtained now).

    Returns
    -------
    dict
        ``{"steps_checked": [...], "replayed_steps": n}`` for the report.

    Raises
    ------
    IntegrityError
        With a message naming the step, the parameter and the numbers.
    """
    if [s["step"] for s in snapshots] != list(steps):
        raise IntegrityError(f"training reported its parameters at steps {[s['step'] for s in snapshots][:10]} "
                             f"instead of {list(steps)[:10]}; the training loop must not be changed, and "
                             "training must update parameters only with the gradient.")
    small = sum(p.size for p in run.init) <= STACKED_CHECKS_LIMIT
    by_step = _checks_at_once(run, snapshots, update_rtol) if small else None
    if by_step is None:  # large arrays, or something does not hold: step by step (the first failure's message)
        by_step = _checks_in_order(run, snapshots, update_rtol)
    final = [np.asarray(p, dtype=np.float64) for p in final]
    if steps:
        for index, (produced, read) in enumerate(zip(by_step[steps[-1]][2], final)):
            if not np.all(np.abs(read - produced) <= ULPS * FLOAT32_EPS * np.abs(produced) + 1e-300):
                raise IntegrityError(
                    f"after training: {parameter_name(index)} read from the layer differs from what the last "
                    "Network.step produced; training must update parameters only with the gradient, and nothing "
                    "may change them afterwards.")
    replayed_final, recorded = replayed.result() if replayed is not None else replays.replay(run, steps)
    for step in steps:
        _check_drift(run, f"step {step}", by_step[step][0], recorded[step], drift)
    _check_drift(run, "after training", final, replayed_final, drift)
    return {"steps_checked": list(steps), "replayed_steps": len(run.batches)}
