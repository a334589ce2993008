"""Initialisation of ``Linear``: random, zero-mean, sensibly scaled weights.

The XOR and MNIST checks supply their own initial parameters, so this is the
only check that sees the student's ``Linear.__init__``. Any sensible zero-mean
scheme passes (PyTorch's uniform, Xavier/Glorot, He, N(0, s)); a scale far from
the usual, or biases beyond the documented bound, is a 0-point note; identical,
all-positive, non-finite or vanishing weights and a layer that ignores its rng fail.
"""
from __future__ import annotations

import numpy as np

from nngrade.checks.compare import CheckFailed
from nngrade.checks.registry import check
from nngrade.sandbox import Rng

#: (in_features, out_features) of the layers built, and the seed of the first one.
SHAPES = ((784, 128), (128, 10), (2, 64))
SEED = 20240
#: Accepted standard deviations of the weights: vanishing ones make every unit alike, larger ones saturate sigmoids.
STD_LIMITS = (1e-6, 3.0)
#: Standard deviations of the usual schemes; outside this range is a 0-point note.
STD_USUAL = (0.002, 3.0)
#: |mean| must stay within this many standard errors of 0.
MEAN_SIGMAS = 6.0
#: Largest accepted |bias|: zero, small and N(0, 1) biases all pass (P(|N(0, 1)| > 8) is about 1e-15).
BIAS_LIMIT = 8.0
FIX = ("Fix: draw W at random with zero mean and a scale of about 1/sqrt(in_features).\n"
       "Fix (code): rng.uniform(-1/np.sqrt(in_features), 1/np.sqrt(in_features), size=(in_features, out_features)).")
BIAS_FIX = "Fix: start the biases at zero or draw them like W.\nFix (code): np.zeros(out_features)"


def weight_problem(W: np.ndarray, b: np.ndarray) -> tuple[str, str] | None:
    """Why these initial parameters are unusable, with the fix that follows, or None when they are fine.

    Judged on the weights (finite, distinct, zero-mean, spread); the biases only
    need to be finite and of a sane size, since zero, small and N(0, 1) biases
    all train.
    """
    fan_in, fan_out = W.shape
    if not np.all(np.isfinite(W)):
        return "W contains nan or inf.", FIX
    if not np.all(np.isfinite(b)):
        return "b contains nan or inf.", BIAS_FIX
    if np.ptp(W) == 0:
        return (f"every weight is {W.flat[0]:.6g}. Identical weights give every output unit the same value and "
                "the same gradient, so the units stay identical forever (XOR then sticks at loss 0.693 and "
                "50% accuracy).", FIX)
    if fan_out > 1 and np.all(W == W[:, :1]):
        return (f"all {fan_out} columns of W are identical, so every output unit computes the same function "
                "and receives the same gradient: the symmetry is never broken.", FIX)
    mean, std = float(np.mean(W)), float(np.std(W))
    bound = MEAN_SIGMAS * std / np.sqrt(W.size)
    if abs(mean) > bound:
        positive = " Every weight is positive: rng.random / np.random.rand draw from [0, 1)." \
            if np.all(W > 0) else ""
        return (f"the weights have mean {mean:.4g} and standard deviation {std:.4g}; a zero-mean distribution "
                f"would give |mean| below {bound:.2g} for {W.size} weights.{positive}", FIX)
    if not STD_LIMITS[0] <= std <= STD_LIMITS[1]:
        return (f"the weights have standard deviation {std:.4g}, outside the accepted range "
                f"[{STD_LIMITS[0]}, {STD_LIMITS[1]}]; about 1/sqrt(in_features) = {1 / np.sqrt(fan_in):.4g} is "
                "usual.", FIX)
    if np.max(np.abs(b)) > BIAS_LIMIT:
        return f"the biases reach {np.max(np.abs(b)):.4g}; zero, small or N(0, 1) biases are expected.", BIAS_FIX
    return None


def convention_notes(W: np.ndarray, b: np.ndarray) -> list[str]:
    """Deviations from docs/API.md's U(-1/sqrt(in), 1/sqrt(in)) that train fine (0-point notes)."""
    fan_in = W.shape[0]
    limit = 1 / np.sqrt(fan_in)
    notes = []
    std = float(np.std(W))
    if not STD_USUAL[0] <= std <= STD_USUAL[1]:
        notes.append(f"your weights have standard deviation {std:.3g} for in_features = {fan_in}; the documented "
                     f"U(-1/sqrt(in), 1/sqrt(in)) gives {limit / np.sqrt(3):.3g}, and a scale far from it slows "
                     "training.")
    if np.max(np.abs(b), initial=0.0) > limit:
        notes.append(f"your biases reach {np.max(np.abs(b)):.3g}, beyond the documented 1/sqrt(in_features) = "
                     f"{limit:.3g}; zero or small biases are the convention.")
    return notes


@check("init.linear", name="Linear initialisation: random, zero-mean, sensibly scaled", group="init",
       needs_api=("Linear",))
def linear_init(ctx):
    for index, (fan_in, fan_out) in enumerate(SHAPES):
        seed = SEED + index
        call = f"Linear({fan_in}, {fan_out}, rng) with rng = np.random.default_rng({seed})"
        drawn = []
        for _ in range(2):  # twice from the same seed: the same layer both times
            layer = ctx.new("Linear", fan_in, fan_out, Rng(seed))
            drawn.append((ctx.array(layer.get("W"), call=f"{call}, then .W", shape=(fan_in, fan_out)),
                          ctx.array(layer.get("b"), call=f"{call}, then .b", shape=(fan_out,))))
        (W, b), (W2, b2) = drawn
        ctx.observe(f"init_{fan_in}x{fan_out}", W, None, b=b)
        found = weight_problem(W, b)
        if found:
            problem, fix = found
            raise CheckFailed(f"{call}: {problem}\n{fix}")
        if not (np.array_equal(W, W2) and np.array_equal(b, b2)):
            raise CheckFailed(
                f"{call}, built twice from the same seed, gave different parameters: the layer does not draw "
                "from the rng it is given.\nFix: draw W (and b, if random) with rng.uniform / rng.normal, not "
                "np.random.*, and create a default_rng() only when rng is None.")
        for note in convention_notes(W, b):
            ctx.note(f"{call}: {note}")
