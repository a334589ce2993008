"""Loss bugs: log(0), normalisation, logarithm base, signs, and gradients of another loss."""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from nngrade.assignments.nn_from_scratch.diagnoses.numbers import (
    as_array,
    first_mismatch,
    is_factor,
    matching_signature,
    ratio_evidence,
    scale_factor,
    softmax,
)
from nngrade.diagnoses.catalogue import diagnosis

FORWARD = {"forward.mse": "MSELoss", "forward.cross_entropy": "CrossEntropyLoss",
           "forward.softmax_ce": "SoftmaxCrossEntropyLoss"}
GRADIENT = {"gradients.mse_backward": "MSELoss", "gradients.cross_entropy_backward": "CrossEntropyLoss",
            "gradients.softmax_ce_backward": "SoftmaxCrossEntropyLoss"}
CLASSIFICATION = ("forward.cross_entropy", "forward.softmax_ce", "gradients.cross_entropy_backward",
                  "gradients.softmax_ce_backward")
MSE_CHECKS = ("forward.mse", "gradients.mse_backward")
FIRST_ARGUMENT = ("pred", "probs", "logits")
CE_CALLS = "CrossEntropyLoss().forward(probs, target) or SoftmaxCrossEntropyLoss().forward(logits, target)"


class _Scaled(NamedTuple):
    """How the first mismatched loss value or loss gradient relates to the reference."""

    factor: float | None
    #: The target's shape: samples and classes (or outputs).
    n: int
    k: int
    #: ``"loss"`` or ``"gradient"``.
    kind: str
    size: int
    #: The loss is ``MSELoss`` (its first argument is ``pred``).
    mse: bool


def _factor(observations) -> _Scaled | None:
    """The scale factor between the first mismatched loss value or loss gradient and its reference."""
    for prefix in ("forward", "grad"):
        found = first_mismatch(observations, prefix=prefix)
        if found is None or "target" not in found[1].inputs:
            continue
        obs = found[1]
        n, k = np.shape(obs.inputs["target"])
        mse = "pred" in obs.inputs
        if np.ndim(obs.reference) == 0:
            yours = obs.yours
            if yours is None or not np.isfinite(yours) or obs.reference == 0:
                return None
            return _Scaled(float(yours) / float(obs.reference), n, k, "loss", 1, mse)
        return _Scaled(scale_factor(obs.yours, obs.reference), n, k, "gradient", np.size(obs.reference), mse)
    return None


def _evidence(found: _Scaled | None, wanted: float, explanation: str) -> str | None:
    if found is None or not is_factor(found.factor, wanted):
        return None
    base = (f"your loss = {found.factor:.4g} x the reference's" if found.kind == "loss"
            else ratio_evidence(found.factor, found.size))
    return f"{base} = {explanation}"


@diagnosis("log_of_zero", title="log(0): probabilities not clipped", checks=("forward.cross_entropy",
                                                                          "gradients.cross_entropy_backward"),
           message="Called: CrossEntropyLoss().forward(probs, target) (and backward()) with some probabilities "
                   "exactly 0.\n"
                   "Expected: finite numbers: probabilities are clipped to [1e-12, 1] first, so 0 * log(0) "
                   "counts as 0 and a zero on the true class costs -log(1e-12) = 27.63.\n"
                   "Observed: nan or inf: np.log(0) = -inf, 0 * -inf = nan, and -target / 0 = -inf or nan.\n"
                   "Fix: clip the probabilities to [1e-12, 1] before the log, and use the same clipped values in backward.\n"
                   "Fix (code): p = np.clip(probs, 1e-12, 1.0) before the log, and use the same clipped p in "
                   "backward.")
def log_of_zero(observations):
    for key in ("forward", "zero_true_class", "forward_zero", "grad"):
        obs = observations.get(key)
        if obs is None or "probs" not in obs.inputs:
            continue
        probs = np.asarray(obs.inputs["probs"], dtype=np.float64)
        zeros = int(np.sum(probs == 0))
        yours = as_array(obs.yours)
        if zeros == 0 or yours is None or np.all(np.isfinite(yours)):
            continue
        if yours.ndim == 0:
            return f"loss = {float(yours)} while probs holds {zeros} exact zero(s): log(0) = -inf and 0 * log(0) = nan"
        bad = ~np.isfinite(yours)
        if yours.shape == probs.shape and np.array_equal(bad, probs == 0):
            return f"the gradient is nan or inf at exactly the {zeros} element(s) where probs == 0"
    return None


@diagnosis("batch_mean_vs_sum", title="Batch sum instead of mean (or divided by n twice)",
           checks=tuple(FORWARD) + tuple(GRADIENT),
           message="Called: the loss's forward (value) or backward (gradient) on a batch of n samples.\n"
                   "Expected: the MEAN over the batch, and the gradient of that mean (which carries 1 / n).\n"
                   "Observed: n times the reference (summed over the batch, or the 1 / n left out of the "
                   "gradient) or 1 / n times it (divided by n twice).\n"
                   "Fix: divide by n = target.shape[0] exactly once, in forward and in backward; for MSELoss "
                   "the mean runs over all n * d elements (np.mean).")
def batch_mean_vs_sum(observations):
    found = _factor(observations)
    if found is None:
        return None
    n, k = found.n, found.k
    options = [(n, f"n x reference (n = {n} samples): summed over the batch instead of averaged"),
               (1 / n, f"reference / n (n = {n} samples): divided by the batch size twice")]
    if found.mse:
        options += [(n * k, f"n*d x reference (n*d = {n * k} elements): summed instead of averaged"),
                    (1 / (n * k), f"reference / (n*d) (n*d = {n * k}): divided by the element count twice")]
    for wanted, explanation in options:
        text = _evidence(found, wanted, explanation)
        if text:
            return text
    return None


@diagnosis("ce_mean_over_all_elements", title="Cross-entropy averaged over all n*k elements",
           checks=CLASSIFICATION,
           message="Called: the cross-entropy loss (forward or backward) on n samples of k classes.\n"
                   "Expected: the mean over SAMPLES of -sum_k target * log(p): divide by n.\n"
                   "Observed: 1 / k of the reference: np.mean over the (n, k) array divides by n * k.\n"
                   "Fix: sum over the classes, then divide by the number of samples n only, in the loss and its gradient.\n"
                   "Fix (code): -np.sum(target * np.log(p)) / n.")
def ce_mean_over_all_elements(observations):
    found = _factor(observations)
    if found is None or found.mse:
        return None
    n, k = found.n, found.k
    return _evidence(found, 1 / k, f"reference / k (k = {k} classes): divided by n*k = {n * k} instead of n = {n}")


@diagnosis("mse_mean_over_samples", title="MSE averaged over samples only", checks=MSE_CHECKS,
           message="Called: MSELoss().forward(pred, target) or backward() with pred of shape (n, d).\n"
                   "Expected: the mean over all n * d elements, np.mean((pred - target) ** 2), and "
                   "2 * (pred - target) / (n * d) as its gradient.\n"
                   "Observed: d times the reference: the squares were summed over the d outputs and divided "
                   "by n only.\n"
                   "Fix: divide by pred.size (n * d), in forward and in backward.")
def mse_mean_over_samples(observations):
    found = _factor(observations)
    if found is None or not found.mse:
        return None
    n, d = found.n, found.k
    return _evidence(found, d, f"d x reference (d = {d} outputs): divided by n = {n} instead of n*d = {n * d}")


@diagnosis("log_base_wrong", title="Logarithm in base 2 or 10 instead of the natural log",
           checks=("forward.cross_entropy", "forward.softmax_ce"),
           message=f"Called: {CE_CALLS}.\n"
                   "Expected: natural logarithms (np.log), the base every gradient formula assumes.\n"
                   "Observed: the reference times 1 / ln 2 = 1.4427 (np.log2) or 1 / ln 10 = 0.4343 "
                   "(np.log10).\n"
                   "Fix: use np.log; the gradients -target / p and softmax - target are those of the natural "
                   "logarithm.")
def log_base_wrong(observations):
    found = _factor(observations)
    return (_evidence(found, 1 / math.log(2), "1 / ln 2: np.log2 was used")
            or _evidence(found, 1 / math.log(10), "1 / ln 10: np.log10 was used"))


@diagnosis("loss_missing_minus", title="Cross-entropy without its minus sign",
           checks=("forward.cross_entropy", "forward.softmax_ce"),
           message=f"Called: {CE_CALLS}.\n"
                   "Expected: -sum target * log(p) / n, which is never negative (log p <= 0).\n"
                   "Observed: the same magnitude with the sign reversed: a negative loss.\n"
                   "Fix: put the minus in front of the sum of target * log(p).\nFix (code): -np.sum(target * np.log(p)) / n.")
def loss_missing_minus(observations):
    found = _factor(observations)
    if found is None or found.kind != "loss":
        return None
    return _evidence(found, -1.0, "-1 x reference: the loss is negative")


@diagnosis("mse_half_sum", title="MSE written as 1/2 * sum of squares", checks=MSE_CHECKS,
           message="Called: MSELoss().forward(pred, target) or backward() with pred of shape (n, d).\n"
                   "Expected: the mean over all n * d elements, np.mean((pred - target) ** 2), and "
                   "2 * (pred - target) / (n * d) as its gradient.\n"
                   "Observed: a constant multiple of the reference that is exactly the quadratic cost with a "
                   "1/2 (1/2 * sum of squares, per sample or in total): a different definition, so its value and "
                   "gradient differ by that factor.\n"
                   "Fix: return np.mean((pred - target) ** 2) and 2 * (pred - target) / pred.size; the 1/2 "
                   "(which cancels the 2 of the derivative) belongs to another convention.")
def mse_half_sum(observations):
    found = _factor(observations)
    if found is None or not found.mse:
        return None
    n, d = found.n, found.k
    what = "the gradient of" if found.kind == "gradient" else ""
    options = [(d / 2, f"d/2 x reference (d = {d} outputs): exactly {what} 1/2 * sum over the outputs, averaged "
                       "over the samples: you differentiated 1/2 * sum"),
               (n * d / 2, f"n*d/2 x reference (n*d = {n * d}): exactly {what} 1/2 * the total sum of squares"),
               (0.5, "0.5 x reference: exactly 1/2 * the mean of squares")]
    if found.kind == "gradient":
        options = options[:2]  # 0.5 on the gradient is mse_missing_factor_2
    for wanted, explanation in options:
        if d == 1 and wanted == d / 2 and found.kind == "gradient":
            continue  # d/2 = 0.5: the missing factor 2
        text = _evidence(found, wanted, explanation.replace("exactly  ", "exactly "))
        if text:
            return text
    return None


@diagnosis("mse_missing_factor_2", title="MSE derivative missing the factor 2", checks=("gradients.mse_backward",),
           message="Called: MSELoss().backward() after forward(pred, target).\n"
                   "Expected: 2 * (pred - target) / pred.size: the 2 comes from differentiating the square.\n"
                   "Observed: half the reference (or minus half of it when the difference is also reversed).\n"
                   "Fix: keep the factor 2 that differentiating the square gives, and divide by the number of elements.\n"
                   "Fix (code): return 2 * (pred - target) / pred.size.")
def mse_missing_factor_2(observations):
    found = _factor(observations)
    return (_evidence(found, 0.5, "reference / 2: the factor 2 is missing")
            or _evidence(found, -0.5, "-reference / 2: the factor 2 is missing and the sign is reversed"))


def _other_gradients(inputs):
    """``(name, values)`` of gradients of other losses at the same inputs."""
    target = np.asarray(inputs["target"], dtype=np.float64)
    n, size = target.shape[0], target.size
    with np.errstate(all="ignore"):
        if "probs" in inputs:
            p = np.asarray(inputs["probs"], dtype=np.float64)
            return [("SoftmaxCrossEntropyLoss's (probs - target) / n", (p - target) / n),
                    ("MSELoss's 2 * (probs - target) / probs.size", 2 * (p - target) / size)]
        if "logits" in inputs:
            z = np.asarray(inputs["logits"], dtype=np.float64)
            s = softmax(z)
            return [("CrossEntropyLoss's -target / softmax(logits) / n", -target / s / n),
                     ("MSELoss's 2 * (softmax(logits) - target) / size", 2 * (s - target) / size),
                     ("MSELoss's 2 * (logits - target) / size", 2 * (z - target) / size),
                     ("(logits - target) / n, with no softmax", (z - target) / n)]
        pred = np.asarray(inputs["pred"], dtype=np.float64)
        return [("CrossEntropyLoss's -target / pred / n", -target / np.clip(pred, 1e-12, 1.0) / n),
                ("SoftmaxCrossEntropyLoss's (softmax(pred) - target) / n", (softmax(pred) - target) / n)]


@diagnosis("gradient_of_other_loss", title="Gradient of a different loss than the one computed",
           checks=tuple(GRADIENT),
           message="Called: the loss's backward() after its forward(...).\n"
                   "Expected: the derivative of the loss that this class's forward computes.\n"
                   "Observed: exactly the gradient of another loss (named in the evidence): backward and "
                   "forward disagree, so training minimises something other than the reported loss.\n"
                   "Fix: differentiate this class's own forward.\nFix (code): MSELoss -> 2 * (pred - target) / pred.size, "
                   "CrossEntropyLoss -> -target / p / n, SoftmaxCrossEntropyLoss -> (softmax(z) - target) / n.")
def gradient_of_other_loss(observations):
    found = first_mismatch(observations, prefix="grad")
    if found is None or not any(k in found[1].inputs for k in FIRST_ARGUMENT):
        return None
    return matching_signature(found[1].yours, _other_gradients(found[1].inputs))


SOFT_TARGET_CHECKS = ("forward.cross_entropy_soft", "forward.softmax_ce_soft")


@diagnosis("soft_targets_argmax", title="Uses only the argmax of each target row", checks=SOFT_TARGET_CHECKS,
           message="Called: the loss's forward and backward with soft target rows (such as [0.7, 0.2, 0.1] and a "
                   "label-smoothed one-hot row), after the same loss was right on one-hot targets.\n"
                   "Expected: the cross-entropy of the whole row, -sum_k t_k log p_k per sample, and its gradient.\n"
                   "Observed: the value or gradient equals the one computed with the one-hot rows of each target "
                   "row's largest entry: the loss turns targets into class labels (np.argmax(target, axis=1)).\n"
                   "Fix: weigh every class by its target entry instead of picking one per row.\n"
                   "Fix (code): -np.sum(target * log_probs) / n, and (probs - target) / n for the fused gradient.")
def soft_targets_argmax(observations):
    value, grad = observations.get("soft_value"), observations.get("soft_grad")
    if value is not None and value.yours is not None and "loss_argmax" in value.inputs:
        yours, argmax = float(value.yours), float(value.inputs["loss_argmax"])
        if math.isclose(yours, argmax, rel_tol=1e-6) and not math.isclose(yours, float(value.reference),
                                                                          rel_tol=1e-6):
            return (f"value {yours:.6g} = the cross-entropy of the argmax one-hot targets ({argmax:.6g}); "
                    f"with the soft rows it is {float(value.reference):.6g}")
    if grad is not None and grad.yours is not None and "grad_argmax" in grad.inputs:
        yours, argmax = as_array(grad.yours), as_array(grad.inputs["grad_argmax"])
        if yours is not None and argmax is not None and yours.shape == argmax.shape \
                and np.allclose(yours, argmax, rtol=1e-6, atol=0.0) \
                and not np.allclose(yours, as_array(grad.reference), rtol=1e-6, atol=0.0):
            return (f"gradient = the gradient with the argmax one-hot targets on {yours.size}/{yours.size} "
                    "elements; with the soft rows it differs")
    return None
