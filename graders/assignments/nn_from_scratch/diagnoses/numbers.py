"""Numerics shared by the detectors: tolerant matching, scale factors, the grader's own formulas.

Detectors compare what a student returned with *signatures*: the numbers a
known bug would produce on the same inputs, computed here from the inputs the
check recorded. Nothing in this module looks at student code.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from nngrade.assignments.nn_from_scratch.maths.backprop import loss_gradient
from nngrade.assignments.nn_from_scratch.maths.evaluate import logistic
from nngrade.checks.compare import format_number
from nngrade.engine.config import load_config

#: Tolerance of a signature match: loose enough for a student who computes in
#: float32, tight enough that a coincidence is implausible.
RTOL = 1e-4
ATOL_SCALE = 1e-6


@lru_cache(maxsize=1)
def _shipped_tolerances() -> tuple[float, float]:
    """``(rtol, atol_scale)`` of the shipped configuration, read on first use (never at import)."""
    tolerances = load_config()["tolerances"]
    return tolerances["rtol"], tolerances["atol_scale"]


def check_tolerances(obs) -> tuple[float, float]:
    """The tolerances the check compared ``obs`` with: those of the configuration in use (``--config``).

    Observations built without them (detector tests) fall back to the shipped defaults.
    They only choose what to diagnose; points come from the checks.
    """
    return getattr(obs, "tolerances", None) or _shipped_tolerances()


def is_mismatch(obs) -> bool:
    """Whether an observation's numbers differ from its reference under the check's tolerances."""
    rtol, atol_scale = check_tolerances(obs)
    return not close(obs.yours, obs.reference, rtol=rtol, atol_scale=atol_scale)


def as_array(value) -> np.ndarray | None:
    """``value`` as a float64 array, or None when it is not numeric."""
    if value is None or isinstance(value, (list, dict, str)):
        return None
    array = np.asarray(value)
    if array.dtype.kind not in "fiub":
        return None
    return array.astype(np.float64)


def close(yours, candidate, *, rtol: float = RTOL, atol_scale: float = ATOL_SCALE) -> bool:
    """Whether ``yours`` equals ``candidate`` within tolerance, with NaN/inf in the same places.

    The absolute tolerance is ``atol_scale`` times the largest finite
    ``|candidate|``, as in the checks' comparisons.
    """
    y, c = as_array(yours), as_array(candidate)
    if y is None or c is None or y.shape != c.shape or y.size == 0:
        return False
    finite = np.isfinite(c)
    if not np.array_equal(np.isfinite(y), finite):
        return False
    if not np.array_equal(y[~finite], c[~finite], equal_nan=True):
        return False
    if not finite.any():
        return True
    atol = max(atol_scale * float(np.max(np.abs(c[finite]))), 1e-300)
    return bool(np.all(np.abs(y[finite] - c[finite]) <= atol + rtol * np.abs(c[finite])))


#: Observations of the student's own forward pass, recorded by backward checks
#: as context: a backward detector stays silent when the forward is wrong.
OWN_FORWARD = "own_forward"


def mismatches(observations: dict) -> list[tuple[str, object]]:
    """The ``(key, observation)`` pairs whose numbers differ from their reference.

    Observations without a reference, and those of the student's own forward
    pass (see :func:`own_forward_wrong`), are skipped.
    """
    found = []
    for key, obs in observations.items():
        if obs.reference is None or key.startswith(OWN_FORWARD):
            continue
        if is_mismatch(obs):
            found.append((key, obs))
    return found


def own_forward_wrong(observations: dict) -> bool:
    """Whether the forward pass a backward check ran first gave wrong outputs.

    A wrong backward then follows from the wrong forward, and the backward
    signatures (computed from the reference's forward values) do not apply.
    """
    return any(key.startswith(OWN_FORWARD) and is_mismatch(obs) for key, obs in observations.items())


def first_mismatch(observations: dict, *, prefix: str = ""):
    """The first mismatched ``(key, observation)`` whose key starts with ``prefix``, or None."""
    for key, obs in mismatches(observations):
        if key.startswith(prefix):
            return key, obs
    return None


def matching_signature(yours, candidates) -> str | None:
    """``"yours = TEXT on 15/15 elements"`` for the first ``(text, values)`` candidate that ``yours`` matches.

    Parameters
    ----------
    yours : array_like
        What the student returned.
    candidates : iterable of (str, array_like)
        Signatures of known bugs, each with the text that names it.
    """
    for text, values in candidates:
        if close(yours, values):
            return f"yours = {text} on {np.size(values)}/{np.size(values)} elements"
    return None


def scale_factor(yours, reference) -> float | None:
    """The ``c`` with ``yours == c * reference`` on every element, or None.

    Both must be finite, of the same shape, and ``reference`` not all zero.
    """
    y, r = as_array(yours), as_array(reference)
    if y is None or r is None or y.shape != r.shape or not (np.isfinite(y).all() and np.isfinite(r).all()):
        return None
    denominator = float(np.sum(r * r))
    if denominator == 0.0:
        return None
    factor = float(np.sum(y * r)) / denominator
    return factor if factor != 0.0 and close(y, factor * r) else None


def is_factor(found: float | None, wanted: float, *, rtol: float = 1e-3) -> bool:
    """Whether a fitted scale factor is ``wanted``."""
    return found is not None and abs(found - wanted) <= rtol * abs(wanted)


def ratio_evidence(factor: float, size: int, what: str = "elements") -> str:
    """``"yours = -1.000 x reference on 15/15 elements"``."""
    return f"yours = {factor:.3f} x reference on {size}/{size} {what}"


def fmt(value: float) -> str:
    """A number in evidence text: four significant digits."""
    return format_number(value, 4)


def fmt_list(values) -> str:
    """``[0.5, 0.7311]`` with four significant digits each."""
    return "[" + ", ".join(fmt(float(v)) for v in np.ravel(values)) + "]"


# -- the grader's own formulas ----------------------------------------------
def sigmoid(x) -> np.ndarray:
    """Logistic function of anything array-like (:func:`nngrade.assignments.nn_from_scratch.maths.evaluate.logistic`, which cannot overflow)."""
    return logistic(np.asarray(x, dtype=np.float64))


def softmax(z, axis=1) -> np.ndarray:
    """Stable softmax along ``axis`` (``None``: over the whole array)."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_jacobian_of(s) -> np.ndarray:
    """``J[i] = diag(s_i) - s_i s_i^T`` for each row of ``s``."""
    s = np.asarray(s, dtype=np.float64)
    return s[:, :, None] * np.eye(s.shape[1]) - s[:, :, None] * s[:, None, :]


def softmax_vjp(s, g) -> np.ndarray:
    """``J_i^T g_i`` for each row, ``s * (g - <g, s>)``."""
    s, g = np.asarray(s, dtype=np.float64), np.asarray(g, dtype=np.float64)
    return s * (g - np.sum(g * s, axis=1, keepdims=True))


def first_layer_shift(params, x, y, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """``dW0`` of the two-layer sigmoid networks of the network checks, and how a premature update shifts it.

    Parameters
    ----------
    params : list of ndarray
        ``[W0, b0, W1, b1]``.
    x, y : ndarray
        Inputs and targets.
    loss : {"SoftmaxCrossEntropyLoss", "MSELoss"}
        The loss; with ``MSELoss`` the output layer has a sigmoid too.

    Returns
    -------
    dW0 : ndarray
        The true gradient of the first layer's weights.
    direction : ndarray
        How ``dW0`` changes per unit of ``a`` when the error reaches the first
        layer through ``W1 - a * dW1`` instead of ``W1`` (the signature of
        updating before backpropagating).
    """
    W0, b0, W1, b1 = (np.asarray(p, dtype=np.float64) for p in params)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    hidden = sigmoid(x @ W0 + b0)
    out = hidden @ W1 + b1
    if loss == "MSELoss":
        out = sigmoid(out)
        delta1 = loss_gradient(out, y, loss) * out * (1.0 - out)
    else:
        delta1 = loss_gradient(out, y, loss)
    slope = hidden * (1.0 - hidden)
    dW1 = hidden.T @ delta1
    return x.T @ ((delta1 @ W1.T) * slope), -x.T @ ((delta1 @ dW1.T) * slope)
