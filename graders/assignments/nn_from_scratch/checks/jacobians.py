"""Jacobians and backward passes of the layers, against fixtures and finite differences."""
from __future__ import annotations

import numpy as np

from nngrade.assignments.nn_from_scratch.checks.forward import SIGMOID_PROBE, linear_fixture_of
from nngrade.assignments.nn_from_scratch.common import BOTH, FD_STEP
from nngrade.assignments.nn_from_scratch.maths.evaluate import logistic
from nngrade.checks.compare import CheckFailed, mismatch_report
from nngrade.checks.registry import check
from nngrade.engine.fixture_store import fixture_generator


@check("jacobians.softmax_jacobian", name="Softmax per-sample Jacobian", group="jacobians",
       needs_api=("Softmax.jacobian",), variants=BOTH)
def softmax_jacobian(ctx):
    for fixture_name in ("softmax", "softmax_square"):
        f = ctx.fixture(fixture_name)
        yours = ctx.new("Softmax").call("jacobian", f["z"])
        if ctx.spec.visibility == "public" and "sample" not in ctx.data:
            _keep_sample(ctx, yours, f)
        ctx.compare(yours, f["jacobian"], key=f"jacobian_{fixture_name}", inputs={"z": f["z"], "s": f["s"]},
                    call=f"Softmax().jacobian(z) with z of shape {f['z'].shape}",
                    quantity="Jacobians J[i] = diag(s_i) - s_i s_i^T",
                    fix="return an (n, k, k) array with J[i] = np.diag(s[i]) - np.outer(s[i], s[i]); "
                        "do not sum it over an axis and keep the off-diagonal -s_i s_j terms.")


def _keep_sample(ctx, yours, f) -> None:
    """Store the first sample's Jacobian, yours and the reference's, for feedback plots (public fixtures only)."""
    expected = f["jacobian"]
    if isinstance(yours, np.ndarray) and yours.dtype.kind in "fiu" and yours.shape == expected.shape:
        ctx.data["sample"] = {"z": f["z"][0].tolist(), "yours": yours[0].astype(np.float64).tolist(),
                              "reference": expected[0].tolist()}


@check("jacobians.softmax_backward", name="Softmax backward (J^T g)", group="jacobians",
       needs_api=("Softmax.forward", "Softmax.backward"), variants=BOTH)
def softmax_backward(ctx):
    for fixture_name in ("softmax", "softmax_square"):
        f = ctx.fixture(fixture_name)
        layer = ctx.new("Softmax")
        ctx.observe(f"own_forward_{fixture_name}", layer.call("forward", f["z"]), f["s"], z=f["z"])
        yours = layer.call("backward", f["g"])
        ctx.compare(yours, f["grad_z"], key=f"backward_{fixture_name}",
                    inputs={"z": f["z"], "s": f["s"], "g": f["g"], "jacobian": f["jacobian"]},
                    call=f"Softmax().backward(g) after forward(z), z of shape {f['z'].shape}",
                    quantity="gradients J^T g",
                    fix=("per row, J^T g is s times (g minus the s-weighted sum of g over the row), with s from the last "
                         "forward; J need not be built.", "return s * (g - np.sum(g * s, axis=1, keepdims=True))"))


@check("jacobians.sigmoid_backward", name="Sigmoid backward, against finite differences", group="jacobians",
       needs_api=("Sigmoid.forward", "Sigmoid.backward"), variants=BOTH)
def sigmoid_backward(ctx):
    f = ctx.fixture("sigmoid")
    layer = ctx.new("Sigmoid")
    ctx.observe("own_forward", layer.call("forward", f["x"]), f["y"], x=f["x"])
    yours = layer.call("backward", f["g"])
    ctx.probe("derivative_probe", lambda: _sigmoid_derivative(ctx))
    ctx.compare(yours, f["grad_x"], key="backward", inputs={"x": f["x"], "y": f["y"], "g": f["g"]},
                call="Sigmoid().backward(g) after forward(x)", quantity="gradients grad_y * y * (1 - y)",
                fix=("the derivative is y * (1 - y) at the output y cached by forward, times the incoming gradient.",
                     "return grad_y * y * (1 - y)"))
    # The sigmoid is elementwise, so perturbing every element at once gives
    # every partial derivative in two calls.
    plus = ctx.array(ctx.new("Sigmoid").call("forward", f["x"] + FD_STEP), call="Sigmoid().forward(x + h)",
                     shape=f["x"].shape)
    minus = ctx.array(ctx.new("Sigmoid").call("forward", f["x"] - FD_STEP), call="Sigmoid().forward(x - h)",
                      shape=f["x"].shape)
    numeric = f["g"] * (plus - minus) / (2 * FD_STEP)
    report = mismatch_report(np.asarray(yours, dtype=float), numeric, rtol=1e-4, atol_scale=1e-6)
    if report:
        raise CheckFailed("Sigmoid().backward(g) disagrees with central finite differences of your own "
                          f"Sigmoid().forward:\n{report}")


def _sigmoid_derivative(ctx):
    """The student's sigmoid derivative at 0, 1, -1, 2 (backward of ones), for the detectors."""
    layer = ctx.new("Sigmoid")
    shape = SIGMOID_PROBE.shape
    y = ctx.array(layer.call("forward", SIGMOID_PROBE), call="Sigmoid().forward", shape=shape)
    slope = ctx.array(layer.call("backward", np.ones(shape)), call="Sigmoid().backward", shape=shape)
    expected = logistic(SIGMOID_PROBE) * (1.0 - logistic(SIGMOID_PROBE))
    return slope, expected, {"x": SIGMOID_PROBE, "y": y}


@check("jacobians.linear_backward", name="Linear backward: dW, db and grad_x", group="jacobians",
       needs_api=("Linear.forward", "Linear.backward"), variants=BOTH)
def linear_backward(ctx):
    for fixture_name in ("linear", "linear_square"):
        f = ctx.fixture(fixture_name)
        fan_in, fan_out = f["W"].shape
        layer = ctx.new("Linear", fan_in, fan_out)
        layer.set("W", f["W"])
        layer.set("b", f["b"])
        layer.call("forward", f["x"])
        grad_x = layer.call("backward", f["g"])
        inputs = {"x": f["x"], "W": f["W"], "g": f["g"]}
        where = f"Linear({fan_in}, {fan_out}): after forward(x) and backward(g)"
        ctx.compare(layer.get("dW"), f["dW"], key=f"dW_{fixture_name}", inputs=inputs, call=f"{where}, dW",
                    quantity="weight gradients x.T @ g",
                    fix=("dW is the cached input transposed times the incoming gradient, shape (in_features, "
                         "out_features) like W.", "self.dW = self.x.T @ grad_y"))
        ctx.compare(layer.get("db"), f["db"], key=f"db_{fixture_name}", inputs=inputs, call=f"{where}, db",
                    quantity="bias gradients g.sum(axis=0)",
                    fix=("db is the incoming gradient summed (not averaged) over the batch, shape (out_features,).",
                         "self.db = grad_y.sum(axis=0)"))
        ctx.compare(grad_x, f["grad_x"], key=f"grad_x_{fixture_name}", inputs=inputs,
                    call=f"{where}, the returned grad_x", quantity="input gradients g @ W.T",
                    fix=("pass back the incoming gradient times W transposed.", "return grad_y @ self.W.T"))


# -- fixtures ---------------------------------------------------------------------------------------------
@fixture_generator("linear_square")
def linear_square_fixture(rng):
    return linear_fixture_of(rng, 4, 4, 4)
