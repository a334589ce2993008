"""Forward values of every layer and loss against direct NumPy formulas (moderate inputs)."""
from __future__ import annotations

import numpy as np
import pytest

import nngrade.reference as R

SHAPES = [(5, 3), (3, 3)]


@pytest.mark.parametrize("shape", SHAPES)
def test_sigmoid_forward(shape, rng):
    x = rng.normal(scale=3.0, size=shape)
    y = R.Sigmoid().forward(x)
    assert y.shape == shape and y.dtype == np.float64
    np.testing.assert_allclose(y, 1.0 / (1.0 + np.exp(-x)), rtol=1e-14, atol=0)


@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_forward(shape, rng):
    z = rng.normal(scale=3.0, size=shape)
    s = R.Softmax().forward(z)
    e = np.exp(z)
    expected = e / e.sum(axis=1, keepdims=True)
    assert s.shape == shape and s.dtype == np.float64
    np.testing.assert_allclose(s, expected, rtol=1e-13, atol=0)


def test_softmax_forward_is_per_row_on_a_square_batch():
    # Rows with very different maxima: a max taken over the wrong axis, or
    # broadcast without keepdims, shifts rows by other rows' values.
    z = np.array([[0.0, 1.0, 2.0], [10.0, 10.0, 10.0], [-5.0, 0.0, 5.0]])
    s = R.Softmax().forward(z)
    for i in range(3):
        e = np.exp(z[i] - z[i].max())
        np.testing.assert_allclose(s[i], e / e.sum(), rtol=1e-14)
    np.testing.assert_array_equal(s[1], np.full(3, 1.0 / 3.0))


@pytest.mark.parametrize("n, fan_in, fan_out", [(5, 4, 3), (4, 4, 4)])
def test_linear_forward(n, fan_in, fan_out, rng):
    layer = R.Linear(fan_in, fan_out, rng)
    assert layer.W.shape == (fan_in, fan_out) and layer.b.shape == (fan_out,)
    x = rng.normal(size=(n, fan_in))
    y = layer.forward(x)
    expected = np.array([[sum(x[i, a] * layer.W[a, j] for a in range(fan_in)) + layer.b[j]
                          for j in range(fan_out)] for i in range(n)])
    assert y.shape == (n, fan_out)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(layer.x, x)  # the documented cache


@pytest.mark.parametrize("shape", SHAPES)
def test_mse_forward_is_the_mean_over_all_elements(shape, rng):
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    value = R.MSELoss().forward(pred, target)
    assert type(value) is float
    expected = sum((pred[idx] - target[idx]) ** 2 for idx in np.ndindex(*shape)) / pred.size
    assert value == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("shape", SHAPES)
def test_cross_entropy_forward_is_the_mean_over_samples(shape, rng):
    n, k = shape
    probs = rng.uniform(0.05, 1.0, size=shape)
    probs /= probs.sum(axis=1, keepdims=True)
    target = np.eye(k)[rng.integers(0, k, size=n)]
    value = R.CrossEntropyLoss().forward(probs, target)
    assert type(value) is float
    expected = -np.mean([np.log(probs[i, target[i].argmax()]) for i in range(n)])
    assert value == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_cross_entropy_forward(shape, rng):
    n, k = shape
    logits = rng.normal(scale=3.0, size=shape)
    target = np.eye(k)[rng.integers(0, k, size=n)]
    value = R.SoftmaxCrossEntropyLoss().forward(logits, target)
    assert type(value) is float
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(np.sum(probs * target, axis=1)))
    assert value == pytest.approx(expected, rel=1e-12)


def test_network_forward_applies_layers_in_order(rng):
    first, second = R.Linear(4, 6, rng), R.Linear(6, 2, rng)
    net = R.Network([first, R.Sigmoid(), second])
    x = rng.normal(size=(5, 4))
    hidden = 1.0 / (1.0 + np.exp(-(x @ first.W + first.b)))
    np.testing.assert_allclose(net.forward(x), hidden @ second.W + second.b, rtol=1e-13)
    assert R.Network([]).forward(x) is x
