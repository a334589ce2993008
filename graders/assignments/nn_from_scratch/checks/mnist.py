"""MNIST accuracy under grader-driven training.

The training images go to the worker once; the grader picks the initial
parameters and the batch order, the student's code trains, and the grader
reads the parameters back and computes the test accuracy itself. Test images
and labels never enter the worker, so a lookup table of test labels cannot
earn these points; spot-checked steps and a replay of the whole run
(:mod:`nngrade.assignments.nn_from_scratch.training.integrity`) make sure the parameters moved only by
``-lr`` times the true gradient, so shipped pretrained weights cannot either.
"""
from __future__ import annotations

import numpy as np

from nngrade.assignments.nn_from_scratch.checks.xor import (
    TRAINING_API,
    downsample,
    read_params,
    start_replay,
    verified,
)
from nngrade.assignments.nn_from_scratch.maths.evaluate import predictions
from nngrade.assignments.nn_from_scratch.training.integrity import (
    TrainingRun,
    snapshot_steps,
)
from nngrade.assignments.nn_from_scratch.training.mnist_plan import (
    epochs,
    plan,
    reference_accuracy,
    training_set,
)
from nngrade.checks.compare import CheckFailed
from nngrade.checks.registry import check

from ..training.worker_calls import train_steps
from .network import build_network

#: Pairs of consecutive steps spot-checked (plus the first and last step); the replay covers the rest.
SPOT_CHECK_PAIRS = 2


@check("mnist.accuracy", name="MNIST test accuracy after grader-driven training", group="mnist",
       needs_api=TRAINING_API + ("SoftmaxCrossEntropyLoss.forward", "SoftmaxCrossEntropyLoss.backward"))
def mnist_accuracy(ctx):
    cfg = ctx.config["mnist"]
    data = ctx.resource("mnist")  # NotRun when this machine has no MNIST
    seed = cfg["seed"] + ctx.extras.get("seed_offset", 0)
    x, labels = training_set(data, cfg)
    sizes, params, batches = plan(len(labels), cfg, seed)
    pixels, scale, targets = x.reshape(len(x), -1), 1 / 255, np.eye(10)[labels]
    ctx.session.store("mnist_x", pixels, scale=scale)
    ctx.session.store("mnist_y", targets)
    run = TrainingRun(tuple(sizes), False, "SoftmaxCrossEntropyLoss", pixels, targets, batches, cfg["lr"],
                      params, scale=scale)
    steps = snapshot_steps(run, pairs=SPOT_CHECK_PAIRS, seed=seed, reply_cap=ctx.session.limits.reply_cap)
    net, linears = build_network(ctx, sizes, params=params)
    replayed = start_replay(ctx, run, steps)
    result = train_steps(ctx.session, net, ctx.new("SoftmaxCrossEntropyLoss"), ctx.session.stored("mnist_x"),
                                     ctx.session.stored("mnist_y"), batches=batches, lr=cfg["lr"],
                                     snapshots=steps, timeout=cfg["time_budget"])
    losses = ctx.array(result["losses"], call="the loss values of training", shape=(len(batches),))
    final = read_params(ctx, linears, sizes)
    violation = verified(ctx, run, result, steps, final, "MNIST", replayed)
    accuracy = float(np.mean(predictions(final, data.x_test.reshape(len(data.x_test), -1) / 255.0,
                                         output_sigmoid=False) == data.y_test))
    # The origin (fixtures, cache, computed) is left out of the message: two identical runs give identical reports.
    ref, origin = reference_accuracy(data, cfg, seed, ctx.extras.get("fixtures_folder"))
    bar = cfg["floor"] if ref is None else max(cfg["floor"], ref - cfg["margin"])
    ctx.data.update({"accuracy": accuracy, "reference_accuracy": ref, "required": bar,
                     "loss_curve": downsample(losses), "source": data.source})
    ctx.observe("accuracy", accuracy, ref, losses=losses)
    if violation:
        raise CheckFailed(f"{violation}\nThe test accuracy of the parameters it produced ({accuracy:.2%}) "
                          "earns nothing.")
    summary = (f"{data.description} {len(labels)} training images, {epochs(len(labels), cfg)} epoch(s), batch "
               f"{cfg['batch_size']}, lr {cfg['lr']}: test accuracy {accuracy:.2%}, required {bar:.2%} "
               + (f"(reference {ref:.2%} with the same plan, minus {cfg['margin']:.0%}; floor {cfg['floor']:.0%})."
                  if ref is not None else f"(the absolute floor; reference accuracy {origin})."))
    if accuracy < bar:
        raise CheckFailed(summary + f"\nLoss went from {losses[0]:.4g} to {losses[-1]:.4g} over training.")
    ctx.data["summary"] = summary
