"""Initialisation of ``Linear``: random, zero-mean, sensibly scaled weights.

The XOR and MNIST checks supply their own initial parameters, so this is the
only check that sees the student's ``Linear.__init__``. Any sensible zero-mean
scheme passes (PyTorch's uniform, Xavier/Glorot, He, N(0, s) with s between
0.002 and 3); identical, all-positive or wildly scaled weights fail.
"""
from __future__ import annotations

import numpy as np

from nngrade.checks.compare import CheckFailed
from nngrade.checks.registry import check
from nngrade.sandbox import Rng

#: (in_features, out_features) of the layers built, and the seed of the first one.
SHAPES = ((784, 128), (128, 10), (2, 64))
SEED = 20240
#: Accepted standard deviations of the weights.
STD_RANGE = (0.002, 3.0)
#: |mean| must stay within this many standard errors of 0.
MEAN_SIGMAS = 6.0
#: Largest accepted |bias|.
BIAS_LIMIT = 3.0
FIX = ("Fix: draw W at random with zero mean and a scale of about 1/sqrt(in_features), e.g. "
       "rng.uniform(-1/np.sqrt(in_features), 1/np.sqrt(in_features), size=(in_features, out_features)).")


def weight_problem(W: np.ndarray, b: np.ndarray) -> str | None:
    """Why these initial parameters are unusable, or None when they are fine."""
    fan_in, fan_out = W.shape
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        return "W or b contains nan or inf."
    if np.ptp(W) == 0:
        return (f"every weight is {W.flat[0]:.6g}. Identical weights give every output unit the same value and "
                "the same gradient, so the units stay identical forever (XOR then sticks at loss 0.693 and "
                "50% accuracy).")
    if fan_out > 1 and np.all(W == W[:, :1]):
        return (f"all {fan_out} columns of W are identical, so every output unit computes the same function "
                "and receives the same gradient: the symmetry is never broken.")
    mean, std = float(np.mean(W)), float(np.std(W))
    bound = MEAN_SIGMAS * std / np.sqrt(W.size)
    if abs(mean) > bound:
        positive = " Every weight is positive: rng.random / np.random.rand draw from [0, 1)." \
            if np.all(W > 0) else ""
        return (f"the weights have mean {mean:.4g} and standard deviation {std:.4g}; a zero-mean distribution "
                f"would give |mean| below {bound:.2g} for {W.size} weights.{positive}")
    if not STD_RANGE[0] <= std <= STD_RANGE[1]:
        return (f"the weights have standard deviation {std:.4g}, outside the accepted range "
                f"[{STD_RANGE[0]}, {STD_RANGE[1]}]; about 1/sqrt(in_features) = {1 / np.sqrt(fan_in):.4g} is "
                "usual.")
    if np.max(np.abs(b)) > BIAS_LIMIT:
        return f"the biases reach {np.max(np.abs(b)):.4g}; zero or small random biases are expected."
    return None


@check("init.linear", name="Linear initialisation: random, zero-mean, sensibly scaled", group="init",
       needs_api=("Linear",))
def linear_init(ctx):
    for index, (fan_in, fan_out) in enumerate(SHAPES):
        seed = SEED + index
        call = f"Linear({fan_in}, {fan_out}, rng) with rng = np.random.default_rng({seed})"
        layer = ctx.new("Linear", fan_in, fan_out, Rng(seed))
        W = ctx.array(layer.get("W"), call=f"{call}, then .W", shape=(fan_in, fan_out))
        b = ctx.array(layer.get("b"), call=f"{call}, then .b", shape=(fan_out,))
        ctx.observe(f"init_{fan_in}x{fan_out}", W, None, b=b)
        problem = weight_problem(W, b)
        if problem:
            raise CheckFailed(f"{call}: {problem}\n{FIX}")
