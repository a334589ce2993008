"""Softmax bugs: the Jacobian mix-ups, stability, axes, dtype and in-place writes."""
from __future__ import annotations

import numpy as np

from nngrade.assignments.nn_from_scratch.diagnoses.numbers import (
    as_array,
    close,
    first_mismatch,
    fmt,
    fmt_list,
    matching_signature,
    mismatches,
    own_forward_wrong,
    softmax,
    softmax_jacobian_of,
    softmax_vjp,
)
from nngrade.diagnoses.catalogue import diagnosis

FORWARD_CHECKS = ("forward.softmax", "forward.softmax_extreme", "forward.softmax_square")
JACOBIAN_CHECKS = ("jacobians.softmax_jacobian", "jacobians.softmax_backward")
OVERFLOW, UNDERFLOW = 709.78, -745.13


def _mismatch(observations, prefix):
    """The first mismatched observation whose key starts with ``prefix``.

    None for a backward whose own forward pass was already wrong.
    """
    if prefix == "backward" and own_forward_wrong(observations):
        return None
    found = first_mismatch(observations, prefix=prefix)
    return None if found is None else found[1]


@diagnosis("softmax_jacobian_row_sum", title="Softmax Jacobian summed over its rows", checks=JACOBIAN_CHECKS,
           message="Called: Softmax().jacobian(z), or Softmax().backward(g) after forward(z).\n"
                   "Expected: J[i] = diag(s_i) - s_i s_i^T (shape (n, k, k)), or J^T g per row.\n"
                   "Observed: zeros everywhere: every row and column of a softmax Jacobian sums to exactly 0, so "
                   "summing J over an axis (or multiplying g by such a sum) gives nothing.\n"
                   "Fix: keep the full matrix diag(s_i) - s_i s_i^T, and in backward apply it (J^T g per row) without summing it.\n"
                   "Fix (code): J[i] = np.diag(s[i]) - np.outer(s[i], s[i]); in backward use "
                   "s * (g - np.sum(g * s, axis=1, keepdims=True)).")
def softmax_jacobian_row_sum(observations):
    for prefix in ("jacobian", "backward"):
        obs = _mismatch(observations, prefix)
        if obs is None:
            continue
        if np.asarray(obs.yours).dtype.kind != "f":
            return None  # an integer array of zeros is a dtype problem (integer_output)
        yours, reference = as_array(obs.yours), np.asarray(obs.reference, dtype=np.float64)
        scale = float(np.max(np.abs(reference)))
        if yours is None or yours.size == 0 or scale == 0 or not np.all(np.isfinite(yours)):
            return None
        biggest = float(np.max(np.abs(yours)))
        if biggest > 1e-9 * scale:
            return None
        shape = f"; shape {yours.shape} instead of {reference.shape}" if yours.shape != reference.shape else ""
        return (f"all {yours.size} returned values are 0 (max |yours| = {biggest:.1e}) while the reference's "
                f"reach {fmt(scale)}{shape}")
    return None


@diagnosis("softmax_jacobian_diagonal", title="Softmax Jacobian reduced to its diagonal s * (1 - s)",
           checks=JACOBIAN_CHECKS,
           message="Called: Softmax().jacobian(z), or Softmax().backward(g) after forward(z).\n"
                   "Expected: J[i] = diag(s_i) - s_i s_i^T: every output depends on every logit, so the "
                   "off-diagonal entries -s_i s_j are not zero.\n"
                   "Observed: only the diagonal s * (1 - s), as if softmax were elementwise like the sigmoid.\n"
                   "Fix: keep the off-diagonal terms -s_i s_j: every output depends on every logit.\n"
                   "Fix (code): backward = s * (g - np.sum(g * s, axis=1, keepdims=True)); jacobian = np.diag(s_i) - "
                   "np.outer(s_i, s_i) for each row.")
def softmax_jacobian_diagonal(observations):
    obs = _mismatch(observations, "jacobian")
    if obs is not None:
        s = np.asarray(obs.inputs["s"], dtype=np.float64)
        diagonal = s * (1.0 - s)
        return matching_signature(obs.yours, [("diag(s * (1 - s)) with zero off-diagonal entries",
                                               diagonal[:, :, None] * np.eye(s.shape[1])),
                                              ("s * (1 - s), shape (n, k)", diagonal)])
    obs = _mismatch(observations, "backward")
    if obs is None:
        return None
    s, g = (np.asarray(obs.inputs[k], dtype=np.float64) for k in ("s", "g"))
    return matching_signature(obs.yours, [("g * s * (1 - s)", g * s * (1.0 - s))])


@diagnosis("softmax_jacobian_from_z", title="Softmax Jacobian built from the logits z instead of s",
           checks=JACOBIAN_CHECKS,
           message="Called: Softmax().jacobian(z), or Softmax().backward(g) after forward(z).\n"
                   "Expected: the Jacobian in terms of the probabilities s = softmax(z).\n"
                   "Observed: the right formula with the logits z plugged in where s belongs.\n"
                   "Fix: compute s = softmax(z) first (or use the s cached by forward) and build "
                   "diag(s) - s s^T from it.")
def softmax_jacobian_from_z(observations):
    obs = _mismatch(observations, "jacobian")
    if obs is not None:
        z = np.asarray(obs.inputs["z"], dtype=np.float64)
        return matching_signature(obs.yours, [("diag(z) - z z^T", softmax_jacobian_of(z))])
    obs = _mismatch(observations, "backward")
    if obs is None:
        return None
    z, g = (np.asarray(obs.inputs[k], dtype=np.float64) for k in ("z", "g"))
    return matching_signature(obs.yours, [("z * (g - sum(g * z))", softmax_vjp(z, g))])


@diagnosis("softmax_derivative_twice", title="Softmax derivative applied on top of the fused gradient",
           checks=("gradients.softmax_ce_backward",),
           message="Called: SoftmaxCrossEntropyLoss().backward() after forward(logits, target).\n"
                   "Expected: (softmax(logits) - target) / n, the gradient with respect to the LOGITS; the "
                   "softmax derivative is already inside it.\n"
                   "Observed: that gradient multiplied once more by the softmax derivative.\n"
                   "Fix: the gradient with respect to the logits already contains the softmax derivative: return it as it "
                   "is, and do not put a Softmax layer before this loss.\nFix (code): return (p - target) / n")
def softmax_derivative_twice(observations):
    obs = _mismatch(observations, "grad")
    if obs is None or "logits" not in obs.inputs:
        return None
    reference = np.asarray(obs.reference, dtype=np.float64)
    p = softmax(obs.inputs["logits"])
    return matching_signature(obs.yours, [
        ("reference * p * (1 - p) with p = softmax(logits)", reference * p * (1.0 - p)),
        ("J^T reference with J the softmax Jacobian", softmax_vjp(p, reference))])


def _extreme(observations):
    obs = _mismatch(observations, "forward")
    if obs is None or as_array(obs.yours) is None or not np.isnan(as_array(obs.yours)).any():
        return None
    return np.asarray(obs.inputs["z"], dtype=np.float64), as_array(obs.yours)


@diagnosis("softmax_no_max_subtraction", title="Softmax without subtracting the row maximum",
           checks=FORWARD_CHECKS,
           message="Called: Softmax().forward(z) with logits of magnitude about 1000.\n"
                   "Expected: the exact probabilities, without NaN.\n"
                   "Observed: NaN exactly where np.exp overflows (z > 709.78: inf / inf) or where a whole row "
                   "underflows (every z < -745.13: 0 / 0).\n"
                   "Fix: subtract each row's maximum before exponentiating; the "
                   "result is mathematically unchanged and exp can no longer overflow.\n"
                   "Fix (code): e = np.exp(z - z.max(axis=1, keepdims=True)).")
def softmax_no_max_subtraction(observations):
    found = _extreme(observations)
    if found is None:
        return None
    z, yours = found
    with np.errstate(all="ignore"):
        e = np.exp(z)
        naive = e / e.sum(axis=1, keepdims=True)
    if not close(yours, naive):
        return None
    return (f"NaN at {int(np.isnan(yours).sum())} of {yours.size} elements, exactly where exp(z) overflows "
            f"(z > {OVERFLOW}) or a whole row underflows (every z < {UNDERFLOW}); the other values match "
            "exp(z) / sum(exp(z))")


@diagnosis("softmax_global_max", title="Softmax shifted by the batch maximum instead of each row's",
           checks=FORWARD_CHECKS,
           message="Called: Softmax().forward(z) on a batch whose rows have very different scales.\n"
                   "Expected: each row shifted by its OWN maximum, which keeps every row finite.\n"
                   "Observed: NaN in the rows far below the largest logit of the whole batch: shifted by the "
                   "global maximum, every exp in those rows underflows to 0 and the row becomes 0 / 0.\n"
                   "Fix: shift each row by its own maximum, not by the maximum of the whole batch.\n"
                   "Fix (code): z - z.max(axis=1, keepdims=True), not z - z.max().")
def softmax_global_max(observations):
    found = _extreme(observations)
    if found is None:
        return None
    z, yours = found
    with np.errstate(all="ignore"):
        e = np.exp(z - z.max())
        shifted = e / e.sum(axis=1, keepdims=True)
    if not close(yours, shifted):
        return None
    rows = sorted({int(i) for i in np.argwhere(np.isnan(yours))[:, 0]})
    return (f"NaN in row(s) {rows}, whose maximum is more than 745 below the batch maximum {fmt(z.max())}; "
            "every other row is right")


@diagnosis("softmax_wrong_axis", title="Softmax normalised over the wrong axis", checks=FORWARD_CHECKS,
           message="Called: Softmax().forward(z) with z of shape (n, k): one row per sample.\n"
                   "Expected: each ROW sums to 1.\n"
                   "Observed: each COLUMN sums to 1: the exponentials were divided by their column sums "
                   "(axis=0).\n"
                   "Fix: reduce over axis=1 with keepdims=True, for the max and for the sum.")
def softmax_wrong_axis(observations):
    obs = _mismatch(observations, "forward")
    if obs is None:
        return None
    z = np.asarray(obs.inputs["z"], dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    found = matching_signature(obs.yours, [("softmax over each column (axis=0)", softmax(z, axis=0)),
                                           ("exp(z - row max) divided by its column sums (axis=0)",
                                            e / e.sum(axis=0, keepdims=True))])
    return None if found is None else f"{found}; your row sums are {fmt_list(as_array(obs.yours).sum(axis=1))}"


@diagnosis("softmax_no_axis", title="Softmax normalised over the whole batch", checks=FORWARD_CHECKS,
           message="Called: Softmax().forward(z) with z of shape (n, k): one row per sample.\n"
                   "Expected: each row sums to 1.\n"
                   "Observed: all n * k values together sum to 1: np.sum(e) without an axis adds up the whole "
                   "batch.\n"
                   "Fix: divide each row by its own sum, and take the max per row as well.\n"
                   "Fix (code): e / np.sum(e, axis=1, keepdims=True)")
def softmax_no_axis(observations):
    obs = _mismatch(observations, "forward")
    if obs is None:
        return None
    z = np.asarray(obs.inputs["z"], dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return matching_signature(obs.yours, [("exp(z) / (sum over the whole batch): all values sum to 1",
                                           softmax(z, axis=None)),
                                          ("exp(z - row max) / (sum over the whole batch): all values sum to 1",
                                           e / e.sum())])


@diagnosis("softmax_missing_keepdims", title="Softmax reduction without keepdims (visible when n == k)",
           checks=("forward.softmax_square",),
           message="Called: Softmax().forward(z) with a square batch, n == k.\n"
                   "Expected: row i divided by row i's sum (and shifted by row i's max).\n"
                   "Observed: an (n,) max or sum broadcast along the wrong axis: column j was shifted or divided "
                   "by row j's value. With n != k this raises a broadcasting error; with n == k it silently "
                   "gives wrong numbers.\n"
                   "Fix: keep the reduced axis, so that each row's max and sum broadcast along that row.\n"
                   "Fix (code): z.max(axis=1, keepdims=True) and e.sum(axis=1, keepdims=True).")
def softmax_missing_keepdims(observations):
    obs = _mismatch(observations, "forward")
    if obs is None:
        return None
    z = np.asarray(obs.inputs["z"], dtype=np.float64)
    if z.shape[0] != z.shape[1]:
        return None
    with np.errstate(all="ignore"):
        e_keep = np.exp(z - z.max(axis=1, keepdims=True))
        e_flat = np.exp(z - z.max(axis=1))
        candidates = [("e / e.sum(axis=1) (sum without keepdims)", e_keep / e_keep.sum(axis=1)),
                      ("exp(z - z.max(axis=1)) normalised per row (max without keepdims)",
                       e_flat / e_flat.sum(axis=1, keepdims=True)),
                      ("e / e.sum(axis=1) with e = exp(z - z.max(axis=1)) (both without keepdims)",
                       e_flat / e_flat.sum(axis=1))]
    return matching_signature(obs.yours, candidates)


@diagnosis("integer_output", title="Output array of integer dtype",
           checks=FORWARD_CHECKS + ("forward.sigmoid", "forward.sigmoid_extreme", "forward.linear")
           + JACOBIAN_CHECKS + ("jacobians.sigmoid_backward", "jacobians.linear_backward"),
           message="Called: the method named in the check above.\n"
                   "Expected: a floating-point array.\n"
                   "Observed: an integer array: the output buffer was created with an integer dtype (for "
                   "example np.zeros_like of an integer array, or dtype=int), and every value assigned into it "
                   "was truncated.\n"
                   "Fix: create output arrays as floats, or better, compute the result with array expressions "
                   "instead of filling a buffer.\n"
                   "Fix (code): np.zeros(shape) or np.empty_like(x, dtype=float).")
def integer_output(observations):
    for key, obs in mismatches(observations):
        if obs.yours is None or isinstance(obs.yours, (float, list)):
            continue
        yours = np.asarray(obs.yours)
        if yours.dtype.kind in "iub" and yours.size:
            reference = np.asarray(obs.reference, dtype=np.float64)
            changed = int(np.sum(yours.astype(np.float64) != reference)) if yours.shape == reference.shape \
                else yours.size
            return f"returned dtype {yours.dtype}: {changed} of {yours.size} values differ from the reference"
    return None


@diagnosis("input_modified_in_place", title="Input array modified in place", checks=("forward.inputs_unchanged",),
           message="Called: each public method once with correct inputs; the worker copied every array argument "
                   "before the call and compared it afterwards.\n"
                   "Expected: every argument is unchanged after the call (docs/API.md: no method writes into an "
                   "array it is given).\n"
                   "Observed: a method that returned the right value changed an argument: the caller's array is "
                   "corrupted (a Network hands one layer's cached output to the next layer).\n"
                   "Fix: never write into an argument (z -= ..., g *= ..., z[...] = ..., np.exp(z, out=z)); build "
                   "new arrays instead.\nFix (code): shifted = z - z.max(axis=1, keepdims=True).")
def input_modified_in_place(observations):
    found = [obs.inputs for key, obs in observations.items() if key.startswith("in_place_")
             and obs.inputs.get("right")]
    if not found:
        return None
    return "; ".join(f"{i['method']} modified its argument {i['argument']} in place: "
                     + (f"{i['changed']}/{i['size']} elements changed" if i["what"] == "values"
                        else f"its {i['what']} changed") for i in found)
