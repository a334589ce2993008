"""Validate what student code returned and compare it with expected values.

Order of comparison, as in ``numpy.testing``: type and dtype, then shape, then
the positions of non-finite values, then the values themselves. Messages say
what was called, what was expected, what was seen, and how to fix it, and list
a few mismatched indices as ``YOURS vs REFERENCE``.
"""
from __future__ import annotations

import numpy as np

from nngrade.results import fix_text

MAX_LISTED = 5


class CheckFailed(Exception):
    """The check failed; the message is shown to the student (public checks)."""


class NotRun(Exception):
    """The check could not run for a reason that is not the student's (e.g. no dataset)."""


def format_number(value: float, digits: int = 10) -> str:
    """``value`` with ``digits`` significant digits: the one number format of every message."""
    return f"{value:.{digits}g}"


_fmt = format_number


def validate_array(value, *, call: str, shape: tuple[int, ...]) -> np.ndarray:
    """Return ``value`` as a float64 array of exactly ``shape``, or fail with a clear message.

    Parameters
    ----------
    value : object
        What crossed the sandbox boundary (already a plain ndarray, scalar or None).
    call : str
        The call that produced it, e.g. ``"Softmax().forward(z)"``.
    shape : tuple of int
        The required shape.
    """
    if value is None:
        raise CheckFailed(f"{call} returned None; expected an array of shape {shape}.\n"
                          + fix_text("the method must end by returning its result; a `return` is missing."))
    if isinstance(value, list):
        raise CheckFailed(f"{call} returned a list; expected a numpy array of shape {shape}.\n"
                          + fix_text("return the numpy array itself, not a list built from it."))
    array = np.asarray(value)
    if array.dtype.kind not in "fiub":
        raise CheckFailed(f"{call} returned dtype {array.dtype}; expected a float array of shape {shape}.")
    if array.dtype.kind in "iub":
        raise CheckFailed(
            f"{call} returned an integer array (dtype {array.dtype}); expected floating-point values.\n"
            + fix_text("create output arrays with a float dtype; assigning floats into an integer array "
                       "truncates them.", "np.zeros(shape) or np.zeros_like(x, dtype=float)"))
    if array.shape != tuple(shape):
        raise CheckFailed(f"{call} returned an array of shape {array.shape}; expected shape {tuple(shape)}.")
    return array.astype(np.float64)


def validate_scalar(value, *, call: str) -> float:
    """Return ``value`` as a Python float, or fail: losses must return one number."""
    if value is None:
        raise CheckFailed(f"{call} returned None; expected a float.\n"
                          + fix_text("the method must end by returning its result; a `return` is missing."))
    array = np.asarray(value) if not isinstance(value, list) else None
    if array is None or array.dtype.kind not in "fiub" or array.size != 1:
        shape = "a list" if array is None else f"an array of shape {array.shape}"
        raise CheckFailed(f"{call} returned {shape}; expected a single float (the mean loss).\n"
                          + fix_text("reduce the per-element losses to their mean and return it as one float.",
                                     "np.mean(...) or np.sum(...) / n, then return float(...)"))
    if array.ndim > 0:
        raise CheckFailed(f"{call} returned an array of shape {array.shape}; expected a single float.\n"
                          + fix_text("return a Python float rather than a 1-element array.", "return float(value)"))
    return float(array)


def mismatch_report(yours: np.ndarray, expected: np.ndarray, *, rtol: float, atol_scale: float) -> str | None:
    """Describe how ``yours`` differs from ``expected`` (same shape), or None when close.

    Tolerance: ``|yours - expected| <= atol + rtol * |expected|`` elementwise,
    with ``atol = atol_scale * max(|expected|)`` (at least 1e-300), so tiny
    quantities are compared on their own scale.
    """
    finite_yours, finite_expected = np.isfinite(yours), np.isfinite(expected)
    if not np.array_equal(finite_yours, finite_expected):
        bad = np.argwhere(finite_yours != finite_expected)
        lines = [f"non-finite values at different positions ({len(bad)} of {yours.size}):"]
        for index in bad[:MAX_LISTED]:
            i = tuple(int(v) for v in index)
            lines.append(f"  {list(i)}: YOURS {_fmt(float(yours[i]))} vs REFERENCE {_fmt(float(expected[i]))}")
        return "\n".join(lines)
    both = finite_expected
    if not np.array_equal(yours[~both], expected[~both]):
        return "infinite values of different sign"
    scale = float(np.max(np.abs(expected[both]))) if both.any() else 0.0
    atol = max(atol_scale * scale, 1e-300)
    diff = np.abs(np.where(both, yours, 0.0) - np.where(both, expected, 0.0))
    bad_mask = diff > atol + rtol * np.abs(np.where(both, expected, 0.0))
    if not bad_mask.any():
        return None
    bad = np.argwhere(bad_mask)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.max(np.where(bad_mask, diff / np.abs(expected), 0.0))
    lines = [f"Mismatched elements: {len(bad)} / {yours.size} ({100 * len(bad) / yours.size:.0f}%)",
             f"Max absolute difference: {_fmt(float(diff.max()))}",
             f"Max relative difference: {_fmt(float(rel))}",
             "First mismatches (index: YOURS vs REFERENCE):"]
    for index in bad[:MAX_LISTED]:
        i = tuple(int(v) for v in index)
        lines.append(f"  {list(i)}: {_fmt(yours[i])} vs {_fmt(expected[i])}")
    return "\n".join(lines)


def assert_close(yours, expected, *, call: str, quantity: str, rtol: float, atol_scale: float,
                 fix: str | tuple[str, str] = "") -> np.ndarray:
    """Validate ``yours`` and require it to match ``expected``; returns the validated array.

    ``fix`` is the concept of the fix, or ``(concept, code)`` (see
    :func:`nngrade.results.fix_text`): students see the code part only at hint level ``"code"``.

    Raises
    ------
    CheckFailed
        With a message in numpy.testing's style naming the call and the quantity.
    """
    expected = np.asarray(expected, dtype=np.float64)
    if expected.ndim == 0:
        value = validate_scalar(yours, call=call)
        yours_array = np.asarray(value)
    else:
        yours_array = validate_array(yours, call=call, shape=expected.shape)
    report = mismatch_report(yours_array, expected, rtol=rtol, atol_scale=atol_scale)
    if report is not None:
        parts = (fix, "") if isinstance(fix, str) else fix
        hint = "\n" + fix_text(*parts) if parts[0] else ""
        raise CheckFailed(f"{call}: {quantity} do not match the reference.\n{report}{hint}")
    return yours_array
