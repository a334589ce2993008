"""The grader-side gradients (nngrade.assignments.nn_from_scratch.maths.backprop) and the training-integrity verification, without a worker.

Snapshots are produced locally by the reference classes, exactly as the
worker's ``train_steps`` would report them, then tampered with.
"""
from __future__ import annotations

import numpy as np
import pytest

from nngrade import reference
from nngrade.assignments.nn_from_scratch.maths import backprop
from nngrade.assignments.nn_from_scratch.maths.evaluate import (
    XOR_X,  # noqa: E402
    init_params,
    mlp_outputs,
)
from nngrade.assignments.nn_from_scratch.training import integrity
from nngrade.assignments.nn_from_scratch.training.integrity import (
    IntegrityError,
    TrainingRun,
    snapshot_steps,
    verify_training,
)

XOR_Y = np.eye(2)[[0, 1, 1, 0]]
TOLERANCES = {"update_rtol": 1e-3, "drift": 0.01}


def _loss_value(params, x, y, loss, output_sigmoid):
    out = mlp_outputs(params, x, output_sigmoid=output_sigmoid)
    if loss == "MSELoss":
        return float(np.mean((out - y) ** 2))
    shifted = out - out.max(axis=1, keepdims=True)
    return float(-np.sum(y * (shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))) / len(x))


@pytest.mark.parametrize("loss, output_sigmoid, sizes", [("SoftmaxCrossEntropyLoss", False, (3, 5, 4)),
                                                          ("MSELoss", True, (3, 4, 2)),
                                                          ("MSELoss", False, (3, 4, 4, 2))])
def test_gradients_match_central_finite_differences(loss, output_sigmoid, sizes):
    rng = np.random.default_rng(7)
    params = init_params(sizes, rng)
    x = rng.normal(size=(6, sizes[0]))
    # Targets as docs/API.md has them: one-hot for cross-entropy, any values for MSE.
    y = np.eye(sizes[-1])[rng.integers(sizes[-1], size=6)] if loss != "MSELoss" else rng.uniform(size=(6, sizes[-1]))
    grads = backprop.gradients(params, x, y, loss=loss, output_sigmoid=output_sigmoid)
    for param, grad in zip(params, grads):
        numeric = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + 1e-6
            up = _loss_value(params, x, y, loss, output_sigmoid)
            param[index] = saved - 1e-6
            down = _loss_value(params, x, y, loss, output_sigmoid)
            param[index] = saved
            numeric[index] = (up - down) / 2e-6
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-9)


def _reference_network(params, output_sigmoid, dtype=np.float64):
    layers = []
    for i, (W, b) in enumerate(zip(params[0::2], params[1::2])):
        linear = reference.Linear(*W.shape)
        linear.W, linear.b = W.astype(dtype), b.astype(dtype)
        layers.append(linear)
        if i < len(params) // 2 - 1 or output_sigmoid:
            layers.append(reference.Sigmoid())
    return reference.Network(layers), [layer for layer in layers if isinstance(layer, reference.Linear)]


def _train(run, steps, *, tamper=None, dtype=np.float64):
    """Train the reference like the worker does and return (snapshots, final params)."""
    net, linears = _reference_network(run.init, run.output_sigmoid, dtype)
    loss = getattr(reference, run.loss)()
    snapshots = []
    for step, indices in enumerate(run.batches):
        x, y = run.batch(step)
        loss.forward(net.forward(x.astype(dtype)), y)
        net.backward(loss.backward())
        pairs = [(p.copy(), g.copy()) for p, g in net.parameters()]
        net.step(run.lr)
        if tamper:
            tamper(step, linears)
        if step in steps:
            snapshots.append({"step": step, "params": [p for p, _ in pairs], "grads": [g for _, g in pairs],
                              "updated": [p.copy() for p, _ in net.parameters()]})
    final = [a for linear in linears for a in (linear.W.copy(), linear.b.copy())]
    return snapshots, final


@pytest.fixture
def xor_run():
    init = init_params((2, 4, 2), np.random.default_rng(3))
    return TrainingRun((2, 4, 2), False, "SoftmaxCrossEntropyLoss", XOR_X, XOR_Y, [np.arange(4)] * 300, 1.0, init)


def test_snapshot_steps_cover_the_ends_and_pairs_and_respect_the_reply_cap(xor_run):
    steps = snapshot_steps(xor_run, pairs=5, seed=0, reply_cap=64 << 20)
    assert steps[0] == 0 and steps[-1] == 299 and len(steps) >= 10
    assert all(s + 1 in steps or s - 1 in steps for s in steps if s not in (0, 299))
    assert steps == snapshot_steps(xor_run, pairs=5, seed=0, reply_cap=64 << 20)  # reproducible
    assert len(snapshot_steps(xor_run, pairs=5, seed=0, reply_cap=3 * 4096 * 2)) <= 2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_honest_training_passes_in_float64_and_float32(xor_run, dtype):
    steps = snapshot_steps(xor_run, pairs=8, seed=1, reply_cap=64 << 20)
    snapshots, final = _train(xor_run, steps, dtype=dtype)
    summary = verify_training(xor_run, snapshots, steps, final, **TOLERANCES)
    assert summary["replayed_steps"] == 300 and summary["steps_checked"] == steps


def _solution(linears):
    linears[0].W[...] = [[20.0, 20.0, 0.0, 0.0], [20.0, 20.0, 0.0, 0.0]]
    linears[0].b[...] = [-10.0, -30.0, 0.0, 0.0]


@pytest.mark.parametrize("tamper, message", [
    (lambda step, linears: _solution(linears) if step == 0 else None, r"step 0: your parameters moved by"),
    (lambda step, linears: linears[1].b.__iadd__(0.5) if step == 150 else None, r"away from where plain SGD"),
    (lambda step, linears: linears[0].W.__imul__(1.001), r"moved by .* but -lr \* gradient is"),
])
def test_cheating_updates_are_caught(xor_run, tamper, message):
    steps = [0, 1, 299]  # step 150 is not spot-checked: the replay must catch it
    snapshots, final = _train(xor_run, steps, tamper=tamper)
    with pytest.raises(IntegrityError, match=message) as info:
        verify_training(xor_run, snapshots, steps, final, **TOLERANCES)
    assert "training must update parameters only with the gradient" in str(info.value)


def test_changes_between_steps_and_after_training_are_caught(xor_run):
    steps = [0, 10, 11, 299]
    snapshots, final = _train(xor_run, steps)
    for key in ("params", "updated"):  # a tiny jump before step 11, then an honest update
        snapshots[2][key][0] = snapshots[2][key][0] + 1e-9
    with pytest.raises(IntegrityError, match="between steps 10 and 11"):
        verify_training(xor_run, snapshots, steps, final, **TOLERANCES)
    snapshots, final = _train(xor_run, steps)
    final[0] = final[0] + 1.0
    with pytest.raises(IntegrityError, match="after training"):
        verify_training(xor_run, snapshots, steps, final, **TOLERANCES)


def test_malformed_snapshots_are_refused(xor_run):
    steps = [0, 299]
    snapshots, final = _train(xor_run, steps)
    broken = [dict(s, params=s["params"][:3]) for s in snapshots]
    with pytest.raises(IntegrityError, match="returned 3"):
        verify_training(xor_run, broken, steps, final, **TOLERANCES)
    snapshots[1]["updated"][1] = np.full(4, np.nan)
    with pytest.raises(IntegrityError, match="NaN or inf"):
        verify_training(xor_run, snapshots, steps, final, **TOLERANCES)
    with pytest.raises(IntegrityError, match="instead of"):
        verify_training(xor_run, snapshots[:1], steps, final, **TOLERANCES)


def test_parameters_in_another_order_are_matched_at_step_zero(xor_run):
    steps = [0, 1, 299]
    snapshots, final = _train(xor_run, steps)
    for snapshot in snapshots:
        for key in ("params", "grads", "updated"):
            snapshot[key] = snapshot[key][::-1]
    verify_training(xor_run, snapshots, steps, final, **TOLERANCES)


def _step_by_step(run, snapshots, rtol=TOLERANCES["update_rtol"]):
    try:
        return integrity._checks_in_order(run, snapshots, rtol)
    except IntegrityError:
        return None


def _bump(snapshot, keys, value=1e-9):
    for key in keys:
        snapshot[key][0] = snapshot[key][0] + value


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("tamper, damage", [
    (None, None),
    (lambda step, linears: linears[0].W.__imul__(1.001), None),  # updates are not -lr * gradient
    (lambda step, linears: linears[1].b.__iadd__(0.5) if step == 40 else None, None),  # one jump
    (None, lambda snapshots: _bump(snapshots[2], ("params", "updated"), 1e-6)),  # a change between steps
    (None, lambda snapshots: _bump(snapshots[3], ("grads",), np.nan)),  # not finite
    (None, lambda snapshots: snapshots[4]["grads"].__setitem__(1, np.zeros(3))),  # wrong shape
    (None, lambda snapshots: snapshots[5]["params"].pop()),  # a parameter missing
])
def test_the_stacked_spot_checks_agree_with_the_step_by_step_ones(xor_run, dtype, tamper, damage):
    steps = [0, 10, 11, 12, 40, 41, 299]
    snapshots, _ = _train(xor_run, steps, tamper=tamper, dtype=dtype)
    if damage:
        damage(snapshots)
    slow, fast = _step_by_step(xor_run, snapshots), integrity._checks_at_once(xor_run, snapshots, 1e-3)
    assert (fast is None) == (slow is None) == (tamper is not None or damage is not None)
    if slow is not None:
        assert list(fast) == list(slow) == steps
        for step in steps:
            for mine, theirs in zip(sum(map(list, fast[step]), []), sum(map(list, slow[step]), [])):
                assert mine.dtype == theirs.dtype == np.float64 and np.array_equal(mine, theirs)
