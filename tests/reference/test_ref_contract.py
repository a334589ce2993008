"""The data contract: dtypes, untouched inputs, cached state, parameters, step and init."""
from __future__ import annotations

import numpy as np
import pytest

import nngrade.reference as R


def layer_calls(rng, dtype):
    """(name, layer, forward input, upstream gradient) for every layer."""
    x = rng.normal(size=(4, 3)).astype(dtype)
    g = rng.normal(size=(4, 3)).astype(dtype)
    return [
        ("Sigmoid", R.Sigmoid(), x, g),
        ("Softmax", R.Softmax(), x, g),
        ("Linear", R.Linear(3, 3, rng), x, g),
    ]


def loss_calls(rng, dtype, target_dtype=None):
    """(name, loss, first argument, target) for every loss."""
    target_dtype = target_dtype or dtype
    probs = rng.uniform(0.1, 1.0, size=(4, 3))
    probs /= probs.sum(axis=1, keepdims=True)
    onehot = np.eye(3)[[0, 2, 1, 2]]
    return [
        ("MSELoss", R.MSELoss(), rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=(4, 3)).astype(target_dtype)),
        ("CrossEntropyLoss", R.CrossEntropyLoss(), probs.astype(dtype), onehot.astype(target_dtype)),
        ("SoftmaxCrossEntropyLoss", R.SoftmaxCrossEntropyLoss(), rng.normal(size=(4, 3)).astype(dtype),
         onehot.astype(target_dtype)),
    ]


# --- dtypes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_keep_the_float_dtype(dtype, rng):
    for name, layer, x, g in layer_calls(rng, dtype):
        y = layer.forward(x)
        assert y.dtype == dtype, f"{name}.forward"
        assert layer.backward(g).dtype == dtype, f"{name}.backward"
    J = R.Softmax().jacobian(rng.normal(size=(2, 3)).astype(dtype))
    assert J.dtype == dtype, "Softmax.jacobian"


def test_linear_gradients_have_the_parameter_dtype(rng):
    layer = R.Linear(3, 2, rng)
    layer.forward(rng.normal(size=(4, 3)).astype(np.float32))
    layer.backward(rng.normal(size=(4, 2)).astype(np.float32))
    assert layer.W.dtype == layer.b.dtype == np.float64
    assert layer.dW.dtype == layer.db.dtype == np.float64
    assert layer.dW.shape == (3, 2) and layer.db.shape == (2,)


@pytest.mark.parametrize("target_dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_gradients_keep_the_prediction_dtype(dtype, target_dtype, rng):
    for name, loss, first, target in loss_calls(rng, dtype, target_dtype):
        value = loss.forward(first, target)
        assert type(value) is float, f"{name}.forward returns a Python float"
        assert loss.backward().dtype == dtype, f"{name}.backward"


def test_integer_inputs_are_computed_in_float64(rng):
    xi = np.array([[0, 1, -2], [3, -4, 5]])
    xf = xi.astype(np.float64)
    for layer_cls in (R.Sigmoid, R.Softmax):
        y = layer_cls().forward(xi)
        assert y.dtype == np.float64
        np.testing.assert_array_equal(y, layer_cls().forward(xf))
    lin = R.Linear(3, 2, rng)
    y = lin.forward(xi)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, lin.forward(xf))
    gi = np.array([[1, 0], [-1, 2]])
    assert lin.backward(gi).dtype == np.float64
    # Integer predictions and targets.
    mse = R.MSELoss()
    assert mse.forward(xi, np.zeros_like(xi)) == pytest.approx(np.mean(xf ** 2), rel=1e-15)
    assert mse.backward().dtype == np.float64
    sce = R.SoftmaxCrossEntropyLoss()
    assert sce.forward(xi, np.eye(3, dtype=int)[[0, 2]]) == pytest.approx(
        R.SoftmaxCrossEntropyLoss().forward(xf, np.eye(3)[[0, 2]]), rel=1e-15)
    assert sce.backward().dtype == np.float64
    # Python lists are accepted as well.
    np.testing.assert_array_equal(R.Sigmoid().forward(xi.tolist()), R.Sigmoid().forward(xf))


# --- inputs are never modified ----------------------------------------------------------------

def frozen(a):
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


def test_no_layer_modifies_its_inputs(rng):
    for name, layer, x, g in layer_calls(rng, np.float64):
        x0, g0 = x.copy(), g.copy()
        xr, gr = frozen(x), frozen(g)
        layer.forward(xr)
        layer.backward(gr)
        np.testing.assert_array_equal(xr, x0, err_msg=name)
        np.testing.assert_array_equal(gr, g0, err_msg=name)
        # Writable inputs are left unchanged too.
        layer.forward(x)
        layer.backward(g)
        np.testing.assert_array_equal(x, x0, err_msg=name)
        np.testing.assert_array_equal(g, g0, err_msg=name)
    z = rng.normal(size=(3, 3))
    R.Softmax().jacobian(frozen(z))


def test_no_loss_modifies_its_inputs(rng):
    for name, loss, first, target in loss_calls(rng, np.float64):
        f0, t0 = first.copy(), target.copy()
        loss.forward(frozen(first), frozen(target))
        loss.backward()
        loss.forward(first, target)
        loss.backward()
        np.testing.assert_array_equal(first, f0, err_msg=name)
        np.testing.assert_array_equal(target, t0, err_msg=name)
    # Clipping works on a copy: zero probabilities stay zero in the caller's array.
    probs = np.array([[1.0, 0.0]])
    R.CrossEntropyLoss().forward(probs, np.array([[1.0, 0.0]]))
    assert probs[0, 1] == 0.0


def test_network_and_train_do_not_modify_data(rng):
    net = R.Network([R.Linear(3, 4, rng), R.Sigmoid(), R.Linear(4, 2, rng)])
    X = frozen(rng.normal(size=(6, 3)))
    Y = frozen(np.eye(2)[[0, 1, 1, 0, 1, 0]])
    X0, Y0 = X.copy(), Y.copy()
    R.train(net, R.SoftmaxCrossEntropyLoss(), X, Y, epochs=2, lr=0.1, batch_size=4, rng=rng)
    net.forward(X)
    net.backward(frozen(np.ones((6, 2))))
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)


# --- Linear gradients, parameters and step -----------------------------------------------------

def test_linear_backward_overwrites_gradients(rng):
    layer = R.Linear(3, 2, rng)
    x, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    layer.forward(x)
    layer.backward(g)
    dW1, db1 = layer.dW.copy(), layer.db.copy()
    layer.backward(g)
    np.testing.assert_array_equal(layer.dW, dW1)
    np.testing.assert_array_equal(layer.db, db1)
    np.testing.assert_allclose(dW1, x.T @ g, rtol=1e-14)
    np.testing.assert_allclose(db1, g.sum(axis=0), rtol=1e-14)


def test_linear_starts_without_gradients(rng):
    layer = R.Linear(3, 2, rng)
    assert layer.dW is None and layer.db is None and layer.x is None


def make_net(rng):
    return R.Network([R.Linear(3, 4, rng), R.Sigmoid(), R.Linear(4, 2, rng)])


def test_parameters_are_the_layer_arrays_in_order(rng):
    net = make_net(rng)
    first, second = net.layers[0], net.layers[2]
    before = net.parameters()
    assert [id(p) for p, _ in before] == [id(first.W), id(first.b), id(second.W), id(second.b)]
    assert all(g is None for _, g in before)
    loss = R.MSELoss()
    loss.forward(net.forward(rng.normal(size=(5, 3))), rng.normal(size=(5, 2)))
    net.backward(loss.backward())
    after = net.parameters()
    assert [id(g) for _, g in after] == [id(first.dW), id(first.db), id(second.dW), id(second.db)]
    assert [p.shape for p, _ in after] == [(3, 4), (4,), (4, 2), (2,)]
    assert all(p.shape == g.shape for p, g in after)
    assert R.Network([R.Sigmoid(), R.Softmax()]).parameters() == []


def test_backward_does_not_change_parameters(rng):
    net = make_net(rng)
    snapshot = [p.copy() for p, _ in net.parameters()]
    loss = R.MSELoss()
    loss.forward(net.forward(rng.normal(size=(5, 3))), rng.normal(size=(5, 2)))
    net.backward(loss.backward())
    for (p, _), p0 in zip(net.parameters(), snapshot):
        np.testing.assert_array_equal(p, p0)


def test_step_moves_each_parameter_by_minus_lr_grad_in_place(rng):
    net = make_net(rng)
    loss = R.SoftmaxCrossEntropyLoss()
    loss.forward(net.forward(rng.normal(size=(5, 3))), np.eye(2)[[0, 1, 1, 0, 1]])
    net.backward(loss.backward())
    pairs = net.parameters()
    objects = [p for p, _ in pairs]
    before = [p.copy() for p, _ in pairs]
    grads = [g.copy() for _, g in pairs]
    lr = 0.37
    net.step(lr)
    for param, new_param, p0, g in zip(objects, [p for p, _ in net.parameters()], before, grads):
        assert new_param is param, "step must update in place, not rebind"
        assert np.any(g != 0)
        np.testing.assert_array_equal(param, p0 - lr * g)
    assert net.layers[0].W is objects[0] and net.layers[2].b is objects[3]


# --- Linear initialisation --------------------------------------------------------------------

def test_linear_init_is_reproducible_from_rng():
    a = R.Linear(5, 3, np.random.default_rng(7))
    b = R.Linear(5, 3, np.random.default_rng(7))
    c = R.Linear(5, 3, np.random.default_rng(8))
    np.testing.assert_array_equal(a.W, b.W)
    np.testing.assert_array_equal(a.b, b.b)
    assert not np.array_equal(a.W, c.W)
    # The given generator is the one consumed: two layers from one rng differ.
    shared = np.random.default_rng(7)
    d, e = R.Linear(5, 3, shared), R.Linear(5, 3, shared)
    np.testing.assert_array_equal(d.W, a.W)
    assert not np.array_equal(d.W, e.W)
    # Without an rng, layers are random and still differ.
    assert not np.array_equal(R.Linear(5, 3).W, R.Linear(5, 3).W)


@pytest.mark.parametrize("fan_in, fan_out", [(400, 300), (2, 500), (784, 128)])
def test_linear_init_is_zero_mean_uniform_scaled_by_fan_in(fan_in, fan_out):
    layer = R.Linear(fan_in, fan_out, np.random.default_rng(3))
    bound = 1.0 / np.sqrt(fan_in)
    assert layer.W.shape == (fan_in, fan_out) and layer.b.shape == (fan_out,)
    assert layer.W.dtype == layer.b.dtype == np.float64
    for values in (layer.W, layer.b):
        assert np.all(np.abs(values) <= bound)
    W = layer.W.ravel() / bound  # U(-1, 1): mean 0, std 1/sqrt(3)
    assert abs(W.mean()) < 5.0 / np.sqrt(3 * W.size)
    assert W.std() == pytest.approx(1 / np.sqrt(3), rel=0.05)
    assert W.min() < -0.9 and W.max() > 0.9
