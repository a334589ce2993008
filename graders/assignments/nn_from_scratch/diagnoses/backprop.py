"""Linear-layer bugs: transposed dW, bias gradients, the missing W.T, the missing bias."""
from __future__ import annotations

import numpy as np

from nngrade.assignments.nn_from_scratch.diagnoses.numbers import (
    as_array,
    close,
    fmt,
    mismatches,
    ratio_evidence,
)
from nngrade.diagnoses.catalogue import diagnosis

LINEAR_CHECKS = ("jacobians.linear_backward", "gradients.network_backward")


def _first(observations, part: str):
    """The first mismatched observation overall, when its key names ``part`` (``dW``, ``db``, ``grad_x``)."""
    found = mismatches(observations)
    if not found:
        return None
    key, obs = found[0]
    name = key.split("_linear")[0] if key.startswith(("dW", "db", "grad_x", "forward")) \
        else key.rsplit("_", 1)[-1]
    return obs if name.startswith(part) else None


@diagnosis("weight_gradient_transposed", title="Weight gradient transposed",
           checks=LINEAR_CHECKS + ("gradients.no_accumulation",),
           message="Called: Linear.backward(g) after forward(x), then dW was read.\n"
                   "Expected: dW = x.T @ g, shape (in_features, out_features) like W.\n"
                   "Observed: its transpose, g.T @ x. For a square layer the shape is the same, so only the "
                   "values give it away.\n"
                   "Fix: dW is the cached input transposed times the incoming gradient, with the shape of W.\n"
                   "Fix (code): self.dW = self.x.T @ grad_y.")
def weight_gradient_transposed(observations):
    obs = _first(observations, "dW")
    if obs is None:
        return None
    yours, reference = as_array(obs.yours), np.asarray(obs.reference, dtype=np.float64)
    if yours is None or reference.ndim != 2 or not close(yours, reference.T):
        return None
    count = f"{yours.size}/{yours.size} elements"
    if reference.shape[0] == reference.shape[1]:
        return f"yours = reference.T on {count} (a square layer: the shape could not tell)"
    return f"yours has shape {yours.shape}, the shape of W.T, and equals reference.T on {count}"


@diagnosis("bias_gradient_not_summed", title="Bias gradient not summed over the batch", checks=LINEAR_CHECKS,
           message="Called: Linear.backward(g) after forward(x) on a batch of n samples, then db was read.\n"
                   "Expected: db = g.sum(axis=0), shape (out_features,) like b.\n"
                   "Observed: one row per sample, shape (n, out_features): the per-sample gradients were never "
                   "added up.\n"
                   "Fix: add the per-sample gradients up over the batch axis.\n"
                   "Fix (code): self.db = grad_y.sum(axis=0).")
def bias_gradient_not_summed(observations):
    obs = _first(observations, "db")
    yours = None if obs is None else as_array(obs.yours)
    if yours is None or yours.ndim != 2 or not close(yours.sum(axis=0), obs.reference):
        return None
    out = np.size(obs.reference)
    return f"yours has shape {yours.shape} and its sum over axis 0 equals the reference on {out}/{out} elements"


@diagnosis("bias_gradient_scalar", title="Bias gradient summed to a single number", checks=LINEAR_CHECKS,
           message="Called: Linear.backward(g) after forward(x), then db was read.\n"
                   "Expected: db = g.sum(axis=0): one value per output unit, shape (out_features,).\n"
                   "Observed: a single number, the sum over the batch AND the units.\n"
                   "Fix: sum over the batch axis only.\nFix (code): self.db = grad_y.sum(axis=0).")
def bias_gradient_scalar(observations):
    obs = _first(observations, "db")
    yours = None if obs is None else as_array(obs.yours)
    reference = None if obs is None else np.asarray(obs.reference, dtype=np.float64)
    if yours is None or yours.size != 1 or reference.size == 1 or not close(yours.reshape(()), reference.sum()):
        return None
    return (f"yours is the single number {fmt(float(yours.reshape(())))} = the sum of every element of the "
            f"reference's {reference.size} per-unit values; expected shape {reference.shape}")


@diagnosis("bias_gradient_averaged", title="Bias gradient averaged instead of summed", checks=LINEAR_CHECKS,
           message="Called: Linear.backward(g) after forward(x) on a batch of n samples, then db was read.\n"
                   "Expected: db = g.sum(axis=0): the loss already averages over the batch, so its gradient g "
                   "carries the 1 / n.\n"
                   "Observed: 1 / n of the reference: g.mean(axis=0) divides by n a second time.\n"
                   "Fix: sum over the batch, do not average: g already carries the 1 / n, as for dW (also a sum).\n"
                   "Fix (code): self.db = grad_y.sum(axis=0).")
def bias_gradient_averaged(observations):
    obs = _first(observations, "db")
    if obs is None:
        return None
    n = np.shape(obs.inputs["x"])[0]
    if not close(obs.yours, np.asarray(obs.reference, dtype=np.float64) / n):
        return None
    return ratio_evidence(1 / n, np.size(obs.reference)) + f" = reference / n (n = {n} samples)"


@diagnosis("hidden_delta_not_through_WT", title="Gradient not propagated through W.T",
           checks=("jacobians.linear_backward",),
           message="Called: Linear.backward(g) after forward(x); the returned array is what the previous "
                   "(hidden) layer receives.\n"
                   "Expected: grad_x = g @ W.T, shape (n, in_features).\n"
                   "Observed: g passed on unchanged, or multiplied by W without the transpose: earlier layers "
                   "then learn from the wrong error signal.\n"
                   "Fix: pass back the incoming gradient times W transposed.\nFix (code): return grad_y @ self.W.T.")
def hidden_delta_not_through_WT(observations):
    obs = _first(observations, "grad_x")
    if obs is None:
        return None
    yours = as_array(obs.yours)
    g, W = (np.asarray(obs.inputs[k], dtype=np.float64) for k in ("g", "W"))
    if yours is None:
        return None
    if close(yours, g):
        shape = "" if yours.shape == np.shape(obs.reference) else \
            f" (shape {yours.shape} instead of {np.shape(obs.reference)})"
        return f"the returned gradient equals grad_y itself{shape}: it never went through W.T"
    if W.shape[0] == W.shape[1] and close(yours, g @ W):
        return f"the returned gradient = grad_y @ W (no transpose) on {yours.size}/{yours.size} elements"
    return None


@diagnosis("linear_bias_missing", title="Linear forward without the bias", checks=("forward.linear",),
           message="Called: Linear(in, out).forward(x) with W and b set by the grader.\n"
                   "Expected: x @ W + b, with the W and b the grader set.\n"
                   "Observed: x @ W: the bias was never added.\n"
                   "Fix: add the bias after the product (b of shape (out_features,) broadcasts over the rows).\n"
                   "Fix (code): return x @ self.W + self.b")
def linear_bias_missing(observations):
    obs = _first(observations, "forward")
    if obs is None:
        return None
    x, W = (np.asarray(obs.inputs[k], dtype=np.float64) for k in ("x", "W"))
    if not close(obs.yours, x @ W):
        return None
    return f"yours = x @ W on {np.size(obs.reference)}/{np.size(obs.reference)} elements: b is missing"
