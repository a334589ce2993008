"""Analytic identities and numerical stability of softmax, sigmoid and the cross-entropies.

"No warnings" means: with NumPy's overflow, divide-by-zero and invalid-value
errors raised as exceptions and every Python warning turned into an error.
Underflow of ``exp`` to 0 is allowed: it is the correctly rounded answer
(``exp(-2000)`` is 0 in float64), not an error.
"""
from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
import pytest

import nngrade.reference as R

#: The documented cost of a zero probability on the true class: -log(1e-12).
CE_ZERO_COST = 27.631021115928547


@contextlib.contextmanager
def strict():
    """Raise on any warning and on NumPy overflow, divide-by-zero or invalid values."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            yield


def test_strict_really_raises():
    # The guard itself must be able to fail.
    with pytest.raises(FloatingPointError), strict():
        np.exp(np.array([1000.0]))
    with pytest.raises(FloatingPointError), strict():
        np.log(np.array([0.0]))


@pytest.mark.parametrize("shape", [(5, 3), (3, 3), (1, 7)])
def test_softmax_rows_sum_to_one(shape, rng):
    s = R.Softmax().forward(rng.normal(scale=5.0, size=shape))
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    assert np.all(s > 0)


@pytest.mark.parametrize("shape", [(5, 3), (3, 3)])
def test_softmax_jacobian_identities(shape, rng):
    n, k = shape
    z = rng.normal(scale=2.0, size=shape)
    J = R.Softmax().jacobian(z)
    assert J.shape == (n, k, k)
    np.testing.assert_allclose(J.sum(axis=2), 0.0, rtol=0, atol=1e-15)  # rows
    np.testing.assert_allclose(J.sum(axis=1), 0.0, rtol=0, atol=1e-15)  # columns
    np.testing.assert_allclose(J, np.swapaxes(J, 1, 2), rtol=0, atol=1e-16)
    # Not trivially zero: the diagonal is s(1 - s) > 0.
    s = R.Softmax().forward(z)
    np.testing.assert_allclose(np.diagonal(J, axis1=1, axis2=2), s * (1 - s), rtol=1e-14)


@pytest.mark.parametrize("shape", [(5, 3), (3, 3)])
def test_softmax_backward_is_jacobian_transpose_times_g(shape, rng):
    z = rng.normal(scale=2.0, size=shape)
    g = rng.normal(size=shape)
    layer = R.Softmax()
    J = layer.jacobian(z)
    layer.forward(z)
    expected = np.einsum("nij,ni->nj", J, g)
    np.testing.assert_allclose(layer.backward(g), expected, rtol=1e-12, atol=1e-15)


def test_softmax_jacobian_does_not_touch_the_cache(rng):
    z1, z2 = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    g = rng.normal(size=(4, 3))
    expected = R.Softmax()
    expected.forward(z1)
    layer = R.Softmax()
    s1 = layer.forward(z1).copy()
    layer.jacobian(z2)
    np.testing.assert_array_equal(layer.s, s1)
    np.testing.assert_array_equal(layer.backward(g), expected.backward(g))


def test_backward_uses_the_most_recent_forward(rng):
    x1, x2, g = (rng.normal(size=(4, 3)) for _ in range(3))
    sig = R.Sigmoid()
    sig.forward(x1)
    y2 = sig.forward(x2)
    np.testing.assert_allclose(sig.backward(g), g * y2 * (1 - y2), rtol=1e-15)
    soft = R.Softmax()
    soft.forward(x1)
    s2 = soft.forward(x2)
    np.testing.assert_allclose(soft.backward(g), s2 * (g - np.sum(g * s2, axis=1, keepdims=True)), rtol=1e-13)
    lin = R.Linear(3, 3, rng)
    lin.forward(x1)
    lin.forward(x2)
    lin.backward(g)
    np.testing.assert_allclose(lin.dW, x2.T @ g, rtol=1e-13)


@pytest.mark.parametrize("shift", [1000.0, -1000.0])
def test_softmax_is_shift_invariant(shift, rng):
    z = rng.normal(scale=3.0, size=(5, 4))
    with strict():
        shifted = R.Softmax().forward(z + shift)
    np.testing.assert_allclose(shifted, R.Softmax().forward(z), rtol=1e-11, atol=0)


def test_softmax_of_huge_logits_is_exact_without_warnings():
    z = np.array([[1000.0, -1000.0, 0.0],
                  [-1000.0, -1000.0, -1000.0],
                  [1000.0, 1000.0, -1000.0],
                  [1000.0, 999.0, -1000.0]])
    with strict():
        s = R.Softmax().forward(z)
        J = R.Softmax().jacobian(z)
    assert not np.any(np.isnan(s)) and not np.any(np.isnan(J))
    np.testing.assert_array_equal(s[0], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(s[1], [1.0 / 3.0] * 3)
    np.testing.assert_array_equal(s[2], [0.5, 0.5, 0.0])
    e = math.exp(-1.0)
    np.testing.assert_allclose(s[3], [1.0 / (1.0 + e), e / (1.0 + e), 0.0], rtol=1e-15, atol=0)


def test_sigmoid_of_huge_inputs_is_exact_without_warnings():
    x = np.array([[1000.0, -1000.0, 0.0, -700.0, 700.0, -40.0]])
    with strict():
        y = R.Sigmoid().forward(x)
    assert y[0, 0] == 1.0 and y[0, 1] == 0.0 and y[0, 2] == 0.5 and y[0, 4] == 1.0
    # Far in the negative tail the answer is tiny but not 0: exp(x) / (1 + exp(x)).
    for j, v in ((3, -700.0), (5, -40.0)):
        assert y[0, j] > 0.0
        assert y[0, j] == pytest.approx(math.exp(v) / (1.0 + math.exp(v)), rel=1e-14)
    with strict():
        layer = R.Sigmoid()
        layer.forward(x)
        grad = layer.backward(np.ones_like(x))
    assert np.all(np.isfinite(grad))
    assert grad[0, 0] == 0.0 and grad[0, 1] == 0.0 and grad[0, 2] == 0.25


def test_softmax_cross_entropy_of_huge_logits_is_exact_without_warnings():
    logits = np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [0.0, 0.0]])
    target = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    loss = R.SoftmaxCrossEntropyLoss()
    with strict():
        value = loss.forward(logits, target)
        grad = loss.backward()
    assert value == pytest.approx((2000.0 + 0.0 + math.log(2.0)) / 3, rel=1e-15)
    np.testing.assert_allclose(grad, np.array([[1.0, -1.0], [0.0, 0.0], [-0.5, 0.5]]) / 3, rtol=1e-15, atol=0)


@pytest.mark.parametrize("shape", [(5, 3), (3, 3)])
def test_fused_loss_equals_softmax_then_cross_entropy(shape, rng):
    n, k = shape
    logits = rng.normal(scale=2.0, size=shape)
    target = np.eye(k)[rng.integers(0, k, size=n)]
    fused = R.SoftmaxCrossEntropyLoss()
    fused_value = fused.forward(logits, target)
    softmax, ce = R.Softmax(), R.CrossEntropyLoss()
    chained_value = ce.forward(softmax.forward(logits), target)
    assert fused_value == pytest.approx(chained_value, rel=1e-13)
    chained_grad = softmax.backward(ce.backward())
    np.testing.assert_allclose(fused.backward(), chained_grad, rtol=1e-11, atol=1e-15)


def test_cross_entropy_ignores_zero_probabilities_off_the_true_class():
    probs = np.array([[0.7, 0.3, 0.0], [0.0, 1.0, 0.0], [0.0, 0.25, 0.75]])
    target = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    loss = R.CrossEntropyLoss()
    with strict():
        value = loss.forward(probs, target)
        grad = loss.backward()
    assert value == pytest.approx(-(math.log(0.7) + 0.0 + math.log(0.75)) / 3, rel=1e-15)
    assert np.all(np.isfinite(grad))
    np.testing.assert_array_equal(grad[target == 0], 0.0)
    np.testing.assert_allclose(grad[target == 1], [-1 / 0.7 / 3, -1.0 / 3, -1 / 0.75 / 3], rtol=1e-15)


@pytest.mark.parametrize("n", [1, 4])
def test_cross_entropy_with_zero_probability_on_the_true_class_is_finite(n):
    # Sample 0 puts probability 0 on its true class; the others are perfect.
    probs = np.tile([[0.0, 1.0]], (n, 1))
    probs[0] = [1.0, 0.0]
    target = np.tile([[0.0, 1.0]], (n, 1))
    loss = R.CrossEntropyLoss()
    with strict():
        value = loss.forward(probs, target)
        grad = loss.backward()
    assert CE_ZERO_COST == pytest.approx(-math.log(1e-12), rel=1e-15)
    assert value == pytest.approx(CE_ZERO_COST / n, rel=1e-12)
    assert round(value * n, 3) == 27.631
    assert np.all(np.isfinite(grad))
    assert grad[0, 1] == pytest.approx(-1e12 / n, rel=1e-12)
    assert grad[0, 0] == 0.0
    np.testing.assert_allclose(grad[1:, 1], -1.0 / n, rtol=1e-15)
