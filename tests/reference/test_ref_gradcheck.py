"""Backward passes of the reference against central finite differences (float64).

Every layer is checked through the scalar ``sum(g * forward(x))`` with a random
upstream gradient ``g``, on a non-square batch and on a square one (n == k),
which is where a missing ``keepdims`` or a transposed product goes unnoticed.
"""
from __future__ import annotations

import numpy as np
import pytest

import nngrade.reference as R

# (n, features): non-square, and square (n == features).
SHAPES = [(5, 3), (5, 4), (3, 3), (4, 4)]
# (n, in_features, out_features): the square cases hide a transposed dW or W.T.
LINEAR_SHAPES = [(5, 4, 3), (3, 4, 3), (4, 4, 3), (5, 4, 4), (4, 4, 4)]


def soft_targets(rng, n, k):
    """Random rows of positive numbers summing to 1."""
    t = rng.uniform(0.1, 1.0, size=(n, k))
    return t / t.sum(axis=1, keepdims=True)


def probabilities(rng, n, k):
    """Rows summing to 1 with every entry well inside (0, 1), so no clipping is involved."""
    p = rng.uniform(0.5, 1.5, size=(n, k))
    return p / p.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("shape", SHAPES)
def test_sigmoid_backward_matches_finite_differences(shape, rng, fd):
    x = rng.normal(scale=2.0, size=shape)
    g = rng.normal(size=shape)
    layer = R.Sigmoid()
    layer.forward(x)
    analytic = layer.backward(g)
    numeric = fd.numerical_gradient(lambda: np.sum(g * R.Sigmoid().forward(x)), x)
    fd.assert_gradient(analytic, numeric, "Sigmoid.backward")


@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_backward_matches_finite_differences(shape, rng, fd):
    z = rng.normal(scale=2.0, size=shape)
    g = rng.normal(size=shape)
    layer = R.Softmax()
    layer.forward(z)
    analytic = layer.backward(g)
    numeric = fd.numerical_gradient(lambda: np.sum(g * R.Softmax().forward(z)), z)
    fd.assert_gradient(analytic, numeric, "Softmax.backward")


@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_jacobian_matches_finite_differences(shape, rng, fd):
    n, k = shape
    z = rng.normal(scale=2.0, size=shape)
    analytic = R.Softmax().jacobian(z)
    assert analytic.shape == (n, k, k)
    # numeric[i, a, j, b] = d s[i, a] / d z[j, b]
    numeric = fd.numerical_jacobian(lambda: R.Softmax().forward(z), z)
    for i in range(n):
        fd.assert_gradient(analytic[i], numeric[i, :, i, :], f"Softmax.jacobian sample {i}")
    # Rows are independent: a sample's probabilities do not depend on other samples.
    cross = numeric.copy()
    for i in range(n):
        cross[i, :, i, :] = 0.0
    assert np.max(np.abs(cross)) < 1e-9


@pytest.mark.parametrize("n, fan_in, fan_out", LINEAR_SHAPES)
def test_linear_gradients_match_finite_differences(n, fan_in, fan_out, rng, fd):
    layer = R.Linear(fan_in, fan_out, rng)
    x = rng.normal(size=(n, fan_in))
    g = rng.normal(size=(n, fan_out))
    layer.forward(x)
    grad_x = layer.backward(g)
    dW, db = layer.dW.copy(), layer.db.copy()

    def objective():
        return np.sum(g * layer.forward(x))

    fd.assert_gradient(grad_x, fd.numerical_gradient(objective, x), "Linear.backward return value")
    fd.assert_gradient(dW, fd.numerical_gradient(objective, layer.W), "Linear.dW")
    fd.assert_gradient(db, fd.numerical_gradient(objective, layer.b), "Linear.db")


@pytest.mark.parametrize("shape", SHAPES)
def test_mse_backward_matches_finite_differences(shape, rng, fd):
    pred = rng.normal(size=shape)
    target = rng.normal(size=shape)
    loss = R.MSELoss()
    loss.forward(pred, target)
    analytic = loss.backward()
    numeric = fd.numerical_gradient(lambda: R.MSELoss().forward(pred, target), pred)
    fd.assert_gradient(analytic, numeric, "MSELoss.backward")


@pytest.mark.parametrize("shape", SHAPES)
def test_cross_entropy_backward_matches_finite_differences(shape, rng, fd):
    probs = probabilities(rng, *shape)
    target = soft_targets(rng, *shape)
    loss = R.CrossEntropyLoss()
    loss.forward(probs, target)
    analytic = loss.backward()
    numeric = fd.numerical_gradient(lambda: R.CrossEntropyLoss().forward(probs, target), probs)
    fd.assert_gradient(analytic, numeric, "CrossEntropyLoss.backward")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("one_hot", [False, True], ids=["soft", "one-hot"])
def test_softmax_cross_entropy_backward_matches_finite_differences(shape, one_hot, rng, fd):
    n, k = shape
    logits = rng.normal(scale=2.0, size=shape)
    target = np.eye(k)[rng.integers(0, k, size=n)] if one_hot else soft_targets(rng, n, k)
    loss = R.SoftmaxCrossEntropyLoss()
    loss.forward(logits, target)
    analytic = loss.backward()
    numeric = fd.numerical_gradient(lambda: R.SoftmaxCrossEntropyLoss().forward(logits, target), logits)
    fd.assert_gradient(analytic, numeric, "SoftmaxCrossEntropyLoss.backward")


def two_layer(kind, rng, d=4, hidden=6, k=3):
    layers = [R.Linear(d, hidden, rng), R.Sigmoid(), R.Linear(hidden, k, rng)]
    if kind == "mse":
        layers.append(R.Sigmoid())
        return R.Network(layers), R.MSELoss()
    return R.Network(layers), R.SoftmaxCrossEntropyLoss()


@pytest.mark.parametrize("n", [5, 3])
@pytest.mark.parametrize("kind", ["softmax_ce", "mse"])
def test_network_gradients_match_finite_differences(kind, n, rng, fd):
    net, loss = two_layer(kind, rng)
    x = rng.normal(size=(n, 4))
    if kind == "mse":
        y = rng.uniform(size=(n, 3))
    else:
        y = np.eye(3)[rng.integers(0, 3, size=n)]
    loss.forward(net.forward(x), y)
    grad_x = net.backward(loss.backward())
    analytic = [grad.copy() for _, grad in net.parameters()]
    assert len(analytic) == 4

    def objective():
        return loss.forward(net.forward(x), y)

    names = ["W1", "b1", "W2", "b2"]
    for name, (param, _), grad in zip(names, net.parameters(), analytic):
        fd.assert_gradient(grad, fd.numerical_gradient(objective, param), f"network {kind} d{name}")
    fd.assert_gradient(grad_x, fd.numerical_gradient(objective, x), f"network {kind} input gradient")
