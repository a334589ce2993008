"""Comparison messages in numpy.testing's style: shape, then non-finite positions, then values."""
import numpy as np
import pytest

from nngrade.checks.compare import (
    CheckFailed,
    assert_close,
    mismatch_report,
    validate_array,
    validate_scalar,
)

TOL = dict(rtol=1e-5, atol_scale=1e-7)


def test_equal_arrays_pass_and_are_returned_as_float64():
    out = assert_close(np.float32([1, 2]), np.array([1.0, 2.0]), call="f()", quantity="values", **TOL)
    assert out.dtype == np.float64


def test_value_mismatch_lists_yours_vs_reference():
    with pytest.raises(CheckFailed) as info:
        assert_close(np.array([[0.5, 1.0], [2.0, 3.0]]), np.array([[0.7310585786, 1.0], [2.0, 3.0]]),
                     call="Sigmoid().forward(x)", quantity="sigmoid outputs", fix="do it right.", **TOL)
    text = str(info.value)
    assert text.startswith("Sigmoid().forward(x): sigmoid outputs do not match the reference.\n")
    assert "Mismatched elements: 1 / 4 (25%)" in text
    assert "  [0, 0]: 0.5 vs 0.7310585786" in text
    assert text.endswith("Fix: do it right.")


def test_shape_is_checked_before_values():
    with pytest.raises(CheckFailed, match=r"returned an array of shape \(3,\); expected shape \(3, 1\)"):
        assert_close(np.zeros(3), np.zeros((3, 1)), call="f()", quantity="v", **TOL)


def test_nonfinite_positions_are_reported_first():
    report = mismatch_report(np.array([np.nan, 1.0]), np.array([0.5, 1.0]), **TOL)
    assert report.startswith("non-finite values at different positions (1 of 2):")
    assert "[0]: YOURS nan vs REFERENCE 0.5" in report


def test_matching_infinities_pass_and_opposite_fail():
    assert mismatch_report(np.array([np.inf, 1.0]), np.array([np.inf, 1.0]), **TOL) is None
    assert mismatch_report(np.array([-np.inf]), np.array([np.inf]), **TOL) == "infinite values of different sign"


def test_tolerance_scales_with_the_quantity():
    tiny = np.array([1e-9, 2e-9])
    assert mismatch_report(tiny * (1 + 1e-7), tiny, **TOL) is None
    # numpy's default atol=1e-8 would accept this sign error; the scale-aware atol does not.
    assert mismatch_report(-tiny, tiny, **TOL) is not None
    assert np.allclose(-tiny, tiny)


@pytest.mark.parametrize("value, message", [
    (None, "returned None; expected an array of shape (2,).\nFix: the method must end by returning its result"),
    ([1.0, 2.0], "returned a list; expected a numpy array of shape (2,)"),
    (np.array([1, 2]), "returned an integer array (dtype int64); expected floating-point values"),
    (np.array(["a", "b"]), "returned dtype <U1"),
])
def test_validate_array_messages(value, message):
    with pytest.raises(CheckFailed) as info:
        validate_array(value, call="f()", shape=(2,))
    assert message in str(info.value)


@pytest.mark.parametrize("value, message", [
    (None, "returned None; expected a float"),
    (np.ones(3), "returned an array of shape (3,); expected a single float"),
    (np.ones(1), "returned an array of shape (1,); expected a single float"),
])
def test_validate_scalar_messages(value, message):
    with pytest.raises(CheckFailed) as info:
        validate_scalar(value, call="loss.forward()")
    assert message in str(info.value)


def test_validate_scalar_accepts_zero_d():
    assert validate_scalar(np.float64(1.5), call="f") == 1.5
