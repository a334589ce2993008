"""XOR convergence under grader-driven training, and the student's own ``train``.

The grader builds the network from the student's classes, supplies the initial
parameters, chooses the batches (all four points, every step), lets the
student's forward/loss/backward/step run in the worker, then reads the
parameters back and evaluates them with its own forward pass. Spot-checked
steps and a replay of the whole run verify that the parameters moved only by
``-lr`` times the true gradient (:mod:`nngrade.assignments.nn_from_scratch.training.integrity`).
"""
from __future__ import annotations

import numpy as np

from nngrade.assignments.nn_from_scratch.fixture_build import one_hot, parameters_of, reference, reference_net
from nngrade.assignments.nn_from_scratch.maths.evaluate import (
    XOR_X,
    init_params,
    predictions,
)
from nngrade.assignments.nn_from_scratch.training import replays
from nngrade.assignments.nn_from_scratch.training.integrity import (
    IntegrityError,
    TrainingRun,
    WrongGradient,
    snapshot_steps,
    verify_training,
)
from nngrade.checks.compare import CheckFailed
from nngrade.checks.context import Partial
from nngrade.checks.registry import check
from nngrade.engine.fixture_store import fixture_generator
from nngrade.sandbox import Rng

from ..training import train_replay
from ..training.worker_calls import train_steps
from .network import build_network, stand_in, stand_in_network

XOR_LABELS = np.array([0, 1, 1, 0])
CURVE_POINTS = 100
#: Pairs of consecutive steps spot-checked per XOR training run (plus the first and last step).
SPOT_CHECK_PAIRS = 16

TRAINING_API = ("Linear.forward", "Linear.backward", "Sigmoid.forward", "Sigmoid.backward",
                "Network.forward", "Network.backward", "Network.parameters", "Network.step")


def read_params(ctx, linears, sizes) -> list[np.ndarray]:
    """``[W0, b0, W1, b1, ...]`` read back from the worker, validated against ``sizes``."""
    read = ctx.session.batch([("getattr", {"obj": linear, "name": name}) for linear in linears for name in ("W", "b")])
    params = []
    for (W, b), (fan_in, fan_out) in zip(zip(read[0::2], read[1::2]), zip(sizes[:-1], sizes[1:])):
        params.append(ctx.array(W, call="Linear.W after training", shape=(fan_in, fan_out)))
        params.append(ctx.array(b, call="Linear.b after training", shape=(fan_out,)))
    return params


def downsample(curve: np.ndarray, points: int = CURVE_POINTS) -> list[float]:
    """At most ``points`` evenly spaced values of a loss curve (non-finite -> None)."""
    index = list(dict.fromkeys(np.linspace(0, len(curve) - 1, min(points, len(curve))).astype(int).tolist()))
    return [float(v) if np.isfinite(v) else None for v in np.asarray(curve, dtype=float)[index]]


def start_replay(ctx, run: TrainingRun, steps: list[int]) -> replays.Pending:
    """Start the grader's replay of `run` in the background (call it before the worker trains)."""
    isolation = ctx.extras.get("isolation")
    return replays.start(run, steps, replays.disk_cache_for(isolation) if isolation is not None else None)


def verified(ctx, run: TrainingRun, result: dict, steps: list[int], final, label: str,
             replayed: replays.Pending | None = None) -> str | None:
    """Run the training-integrity verification; None when it holds, else the failure message."""
    tolerances = ctx.config["tolerances"]
    key = "integrity_" + label.replace(" ", "")
    try:
        summary = verify_training(run, result["snapshots"], steps, final, update_rtol=tolerances["update_rtol"],
                                  drift=tolerances["training_drift"], replayed=replayed)
    except IntegrityError as exc:
        ctx.observe(key, str(exc), None, steps=steps, wrong_gradient=isinstance(exc, WrongGradient))
        return f"{label}, {exc}"
    ctx.observe(key, None, None, steps=steps)
    ctx.data.setdefault("integrity", summary)
    return None


def _xor(ctx, sizes, loss_name, targets, lr, output_sigmoid):
    cfg = ctx.config["xor"]
    seeds = [s + ctx.extras.get("seed_offset", 0) for s in cfg["seeds"]]
    batches = np.tile(np.arange(4), (cfg["epochs"], 1))
    outcomes, curves, violations = [], [], []
    for seed in seeds:
        start = init_params(sizes, np.random.default_rng(seed))
        run = TrainingRun(tuple(sizes), output_sigmoid, loss_name, XOR_X, np.asarray(targets, dtype=float),
                          list(batches), lr, start)
        steps = snapshot_steps(run, pairs=SPOT_CHECK_PAIRS, seed=seed, reply_cap=ctx.session.limits.reply_cap)
        net, linears = build_network(ctx, sizes, output_sigmoid=output_sigmoid, params=start)
        replayed = start_replay(ctx, run, steps)
        result = train_steps(ctx.session, net, ctx.new(loss_name), XOR_X, targets, batches=batches, lr=lr,
                                         snapshots=steps)
        losses = ctx.array(result["losses"], call="the loss values of training", shape=(cfg["epochs"],))
        final = read_params(ctx, linears, sizes)
        # The first seed's trained parameters, for decision-boundary plots.
        ctx.data.setdefault("final_params", [p.tolist() for p in final])
        accuracy = float(np.mean(predictions(final, XOR_X, output_sigmoid=output_sigmoid) == XOR_LABELS))
        outcomes.append((seed, accuracy, losses[0], losses[-1]))
        curves.append(downsample(losses))
        ctx.observe(f"seed{seed}", final, None, start=start, losses=losses, accuracy=accuracy, lr=lr,
                    snapshots=result["snapshots"])
        violation = verified(ctx, run, result, steps, final, f"seed {seed}", replayed)
        violations += [violation] if violation else []
    converged = sum(acc == 1.0 for _, acc, _, _ in outcomes)
    ctx.data.update({"loss_curves": curves, "seeds": seeds, "seeds_converged": converged,
                     "accuracies": [acc for _, acc, _, _ in outcomes]})
    if violations:
        gradient_only = all(obs.inputs.get("wrong_gradient") for key, obs in ctx.observations.items()
                            if key.startswith("integrity_") and obs.yours is not None)
        what = ("used gradients that are not those of the loss (the step followed them exactly)"
                if gradient_only else "did not follow gradient descent")
        raise CheckFailed(f"XOR with a {'-'.join(map(str, sizes))} network and {loss_name}, lr {lr}: the "
                          f"training {what} ({len(violations)} of {len(seeds)} seeds), so it earns nothing.\n"
                          + "\n".join(violations))
    if converged == len(seeds):
        return None
    lines = "\n".join(f"  seed {s}: accuracy {acc:.0%}, loss {first:.4g} -> {last:.4g}"
                      for s, acc, first, last in outcomes)
    message = (f"XOR with a {'-'.join(map(str, sizes))} network and {loss_name}, lr {lr}, "
               f"{cfg['epochs']} full-batch steps: 100% accuracy on {converged} of {len(seeds)} seeds "
               f"(the reference reaches 100% on every seed from the same initial parameters).\n{lines}")
    if converged == 0:
        raise CheckFailed(message)
    return Partial(converged / len(seeds), message)


@check("xor.softmax_ce", name="XOR: 2-H-2 sigmoid network with softmax cross-entropy", group="xor",
       needs_api=TRAINING_API + ("SoftmaxCrossEntropyLoss.forward", "SoftmaxCrossEntropyLoss.backward"))
def xor_softmax_ce(ctx):
    cfg = ctx.config["xor"]
    return _xor(ctx, (2, cfg["hidden_units"], 2), "SoftmaxCrossEntropyLoss", np.eye(2)[XOR_LABELS],
                cfg["lr_softmax_ce"], output_sigmoid=False)


@check("xor.mse", name="XOR: 2-H-1 sigmoid network with MSE", group="xor",
       needs_api=TRAINING_API + ("MSELoss.forward", "MSELoss.backward"))
def xor_mse(ctx):
    cfg = ctx.config["xor"]
    return _xor(ctx, (2, cfg["hidden_units"], 1), "MSELoss", XOR_LABELS[:, None].astype(float),
                cfg["lr_mse"], output_sigmoid=True)


@check("xor.train_function", name="train(): the documented mini-batch SGD loop", group="xor",
       needs_api=("train",), variants=("public", "hidden"))
def train_function(ctx):
    """The student's ``train`` alone, driving the grader's stand-in network and loss (``worker_stand_ins.py``).

    A bug in the student's layers, losses or step therefore costs nothing here.
    The trained parameters must match the documented loop exactly; the
    per-epoch record may be the weighted mean (documented), the plain mean or
    the sum of the batch losses, or the full-data loss after the epoch (the
    last three earn a 0-point note).
    """
    f = ctx.fixture("train")
    start = [f[f"p{i}"] for i in range(4)]
    sizes = (f["x"].shape[1], f["p0"].shape[1], f["y"].shape[1])
    net, linears = stand_in_network(ctx, start)
    epochs, batch_size, lr, seed = int(f["epochs"]), int(f["batch_size"]), float(f["lr"]), int(f["rng_seed"])
    n = f["x"].shape[0]
    call = (f"train(network, loss, X, Y, epochs={epochs}, lr={lr}, batch_size={batch_size}, "
            f"rng=np.random.default_rng({seed})) on {n} samples, with the grader's own network and loss")
    history = ctx.func("train", net, stand_in(ctx, "SoftmaxCrossEntropyLoss"), f["x"], f["y"], epochs=epochs,
                       lr=lr, batch_size=batch_size, rng=Rng(seed))
    final = read_params(ctx, linears, sizes)
    settings = dict(epochs=epochs, lr=lr, batch_size=batch_size, seed=seed)
    if not all(np.allclose(a, b, rtol=ctx.rtol, atol=1e-12) for a, b in zip(final, [f[f"final{i}"]
                                                                                   for i in range(4)])):
        loop = train_replay.recognise_loop(final, start, f["x"], f["y"], rtol=ctx.rtol, **settings)
        if loop is not None:
            measured, fix = loop
            ctx.observe("train_loop", measured, None, fix=fix)
            raise CheckFailed(f"{call}: the trained parameters are exactly those of a loop in which {measured}."
                              f"\nFix: {fix}.")
    for i, value in enumerate(final):
        ctx.compare(value, f[f"final{i}"], key=f"final{i}", call=call + ", then the parameters",
                    quantity=f"{'W' if i % 2 == 0 else 'b'} of Linear layer {i // 2} after training",
                    fix=("each epoch: one permutation of the samples from the rng given (no other randomness); "
                         "for each consecutive slice of batch_size of it: forward, loss, backward, step.",
                         "order = rng.permutation(n); for each slice idx: loss.forward(network.forward(X[idx]), "
                         "Y[idx]), network.backward(loss.backward()), network.step(lr)"))
    if isinstance(history, (list, tuple)):
        history = np.asarray([np.nan if v is None else v for v in history], dtype=float) \
            if all(isinstance(v, (int, float, type(None))) or np.ndim(v) == 0 for v in history) else None
    _, histories = train_replay.run(start, f["x"], f["y"], **settings)
    found = (train_replay.matching_history(history, histories, ctx.rtol)
             if isinstance(history, np.ndarray) else None)
    if found is None:
        ctx.compare(history, f["history"], key="history", call=call, quantity="per-epoch losses",
                    inputs={"epochs": epochs, "batch_size": batch_size, "n": n},
                    fix="return one float per epoch: sum(batch_loss * len(idx)) / n over that epoch's batches "
                        "(the plain mean or the sum of the batch losses, or the loss on all the data after the "
                        "epoch, are accepted too).")
    elif found != "weighted":
        ctx.note(f"train() records {train_replay.HISTORIES[found]} for each epoch; docs/API.md records "
                 f"{train_replay.HISTORIES['weighted']}. Both show training progress; the parameters match.")



# -- fixtures ---------------------------------------------------------------------------------------------
@fixture_generator("train")
def train_fixture(rng):
    """A tiny problem, the reference's train() loss history and final parameters."""
    ref = reference()
    net = reference_net((3, 4, 2), rng)
    x, y = rng.normal(size=(10, 3)), one_hot(rng, 10, 2)
    start = parameters_of(net)
    rng_seed = int(rng.integers(0, 2**31))
    history = ref.train(net, ref.SoftmaxCrossEntropyLoss(), x, y, epochs=3, lr=0.5, batch_size=4,
                        rng=np.random.default_rng(rng_seed))
    return {"x": x, "y": y, "history": np.asarray(history), "rng_seed": np.int64(rng_seed), "epochs": np.int64(3),
            "lr": np.float64(0.5), "batch_size": np.int64(4), **start, **parameters_of(net, "final")}
