"""Initialisation bugs: constant or symmetric weights, all-positive draws, implausible scale."""
from __future__ import annotations

import numpy as np

from nngrade.assignments.nn_from_scratch.checks.init import STD_LIMITS
from nngrade.assignments.nn_from_scratch.diagnoses.numbers import as_array, fmt
from nngrade.diagnoses.catalogue import diagnosis

CHECKS = ("init.linear",)


def _layers(observations):
    """``(label, W)`` for each Linear the check built."""
    for key, obs in observations.items():
        W = as_array(obs.yours) if key.startswith("init_") else None
        if W is not None and W.ndim == 2 and W.size and np.all(np.isfinite(W)):
            yield f"Linear({W.shape[0]}, {W.shape[1]})", W


@diagnosis("init_constant", title="Constant initial weights: the symmetry is never broken", checks=CHECKS,
           message="Called: Linear(in_features, out_features, rng), then W was read.\n"
                   "Expected: random weights, different for every unit.\n"
                   "Observed: identical weights (all zero, one constant, or identical columns). Every hidden "
                   "unit then computes the same function and gets the same gradient, so the units stay copies "
                   "of each other: XOR gets stuck at loss 0.693 (log 2) and 50% accuracy.\n"
                   "Fix: draw W at random, zero-mean with a scale of about 1/sqrt(in_features); zero biases are fine once W "
                   "is random.\nFix (code): W = rng.uniform(-1/np.sqrt(in_features), 1/np.sqrt(in_features), size=(in_features, "
                   "out_features)).")
def init_constant(observations):
    for label, W in _layers(observations):
        if np.ptp(W) == 0:
            return f"all {W.size} weights of {label} equal {fmt(float(W.flat[0]))}"
        if W.shape[1] > 1 and np.all(W == W[:, :1]):
            return f"all {W.shape[1]} columns of W in {label} are identical"
    return None


@diagnosis("init_all_positive", title="All-positive initial weights (rand instead of a zero-mean draw)",
           checks=CHECKS,
           message="Called: Linear(in_features, out_features, rng), then W was read.\n"
                   "Expected: weights centred on 0, as many negative as positive.\n"
                   "Observed: every weight is positive, as rng.random() or np.random.rand() give: every hidden "
                   "unit starts out pushed the same way, which saturates sigmoids and slows learning.\n"
                   "Fix: shift and scale the draw to be zero-mean, with a scale of about 1/sqrt(in_features).\n"
                   "Fix (code): rng.uniform(-bound, bound, size=...) "
                   "with bound = 1/np.sqrt(in_features), or rng.normal(0.0, 1/np.sqrt(in_features), size=...).")
def init_all_positive(observations):
    for label, W in _layers(observations):
        if np.ptp(W) > 0 and np.all(W > 0):
            return (f"all {W.size} weights of {label} are positive (min {fmt(W.min())}, "
                    f"mean {fmt(W.mean())}, max {fmt(W.max())})")
    return None


@diagnosis("init_scale", title="Initial weights of implausible scale", checks=CHECKS,
           message="Called: Linear(in_features, out_features, rng), then W was read.\n"
                   f"Expected: a zero-mean draw with a standard deviation between {STD_LIMITS[0]} and "
                   f"{STD_LIMITS[1]}, typically about 1/sqrt(in_features).\n"
                   "Observed: a standard deviation far outside that range: huge weights saturate every sigmoid "
                   "(zero gradients), tiny ones make every unit output nearly the same.\n"
                   "Fix: scale the draw by 1/np.sqrt(in_features) (PyTorch, Xavier) or np.sqrt(2/in_features) "
                   "(He).")
def init_scale(observations):
    for label, W in _layers(observations):
        std = float(np.std(W))
        if std > 0 and not STD_LIMITS[0] <= std <= STD_LIMITS[1] and not np.all(W > 0):
            return (f"the weights of {label} have standard deviation {fmt(std)}; 1/sqrt(in_features) = "
                    f"{fmt(1 / np.sqrt(W.shape[0]))}")
    return None
