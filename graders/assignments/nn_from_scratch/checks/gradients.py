"""Gradient sign and updates: loss gradients, descent, whole networks, step, accumulation."""
from __future__ import annotations

import numpy as np
from nngrade.assignments.nn_from_scratch.fixture_build import (
    gradients_of,
    one_hot,
    parameters_of,
    reference,
    reference_net,
)
from nngrade.checks.compare import CheckFailed
from nngrade.checks.registry import check
from nngrade.engine.fixture_store import fixture_generator
from nngrade.sandbox import StudentError

from .network import build_network

BOTH = ("public", "hidden")
FD_STEP = 1e-6


def _loss_gradient(ctx, cls: str, fixture: str, first: str, formula: str, fix: str):
    """Compare a loss's backward() with the fixture, then test it against the student's own forward."""
    f = ctx.fixture(fixture)
    x, target = f[first], f["target"]
    loss = ctx.new(cls)
    value = ctx.scalar(loss.call("forward", x, target), call=f"{cls}().forward({first}, target)")
    yours = loss.call("backward")
    grad = ctx.compare(yours, f["grad"], key="grad", inputs={first: x, "target": target, "loss": value},
                       call=f"{cls}().backward() after forward({first}, target)",
                       quantity=f"gradients {formula}", fix=fix)
    # Descent: a small step against the gradient must lower the loss the student's
    # own forward reports; finite differences of that forward must agree in sign.
    step = 1e-3 / max(float(np.max(np.abs(grad))), 1e-12)
    moved = ctx.scalar(ctx.new(cls).call("forward", x - step * grad, target),
                       call=f"{cls}().forward({first} - h * grad, target)")
    if not moved < value:
        raise CheckFailed(f"{cls}: moving {first} against your backward() did not lower your forward() loss "
                          f"({value:.6g} -> {moved:.6g}): the gradient is not a descent direction.")
    numeric = np.zeros_like(x)
    probe = ctx.new(cls)
    for index in zip(*np.nonzero(np.abs(x) > 1e-4)):
        bumped = [x.copy(), x.copy()]
        bumped[0][index] += FD_STEP
        bumped[1][index] -= FD_STEP
        values = [ctx.scalar(probe.call("forward", b, target), call=f"{cls}().forward") for b in bumped]
        numeric[index] = (values[0] - values[1]) / (2 * FD_STEP)
    ctx.observe("fd", numeric, f["grad"])
    informative = np.abs(numeric) > 1e-6 * max(float(np.max(np.abs(numeric))), 1e-300)
    disagree = informative & (np.sign(numeric) != np.sign(grad))
    if disagree.any():
        index = tuple(int(i) for i in np.argwhere(disagree)[0])
        raise CheckFailed(
            f"{cls}: backward() disagrees in sign with central finite differences of your own forward() "
            f"on {int(disagree.sum())} of {int(informative.sum())} elements (e.g. {list(index)}: backward "
            f"{grad[index]:.6g}, finite difference {numeric[index]:.6g}). backward() must return the "
            "gradient of the loss that forward() computes.")
    return grad


@check("gradients.mse_backward", name="MSELoss gradient and descent direction", group="gradients",
       needs_api=("MSELoss.forward", "MSELoss.backward"), variants=BOTH)
def mse_backward(ctx):
    _loss_gradient(ctx, "MSELoss", "mse", "pred", "2 * (pred - target) / pred.size",
                   "return 2 * (pred - target) / pred.size: the derivative of the MEAN of squares.")


@check("gradients.cross_entropy_backward", name="CrossEntropyLoss gradient and descent direction",
       group="gradients", needs_api=("CrossEntropyLoss.forward", "CrossEntropyLoss.backward"), variants=BOTH)
def cross_entropy_backward(ctx):
    _loss_gradient(ctx, "CrossEntropyLoss", "cross_entropy", "probs", "-target / probs / n",
                   "return -target / np.clip(probs, 1e-12, 1) / n.")


@check("gradients.softmax_ce_backward", name="SoftmaxCrossEntropyLoss gradient and descent direction",
       group="gradients", needs_api=("SoftmaxCrossEntropyLoss.forward", "SoftmaxCrossEntropyLoss.backward"),
       variants=BOTH)
def softmax_ce_backward(ctx):
    _loss_gradient(ctx, "SoftmaxCrossEntropyLoss", "softmax_ce", "logits", "(softmax(logits) - target) / n",
                   "return (softmax(logits) - target) / n: probabilities minus targets, divided by the batch size.")


NETWORKS = {"network_ce": ((3, 5, 3), False, "SoftmaxCrossEntropyLoss"),
            "network_mse": ((3, 4, 2), True, "MSELoss")}


def _fixture_params(f):
    return [f[f"p{i}"] for i in range(4)]


def _forward_backward(ctx, fixture):
    """Build the fixture's network from the student's classes and run one forward/backward."""
    f = ctx.fixture(fixture)
    sizes, output_sigmoid, loss_name = NETWORKS[fixture]
    net, linears = build_network(ctx, sizes, output_sigmoid=output_sigmoid, params=_fixture_params(f))
    loss = ctx.new(loss_name)
    ctx.scalar(loss.call("forward", net.call("forward", f["x"]), f["y"]), call=f"{loss_name}().forward")
    grad_in = net.call("backward", loss.call("backward"))
    return f, net, linears, grad_in


@check("gradients.network_backward", name="Whole-network backpropagation", group="gradients",
       needs_api=("Network.forward", "Network.backward", "Linear.backward", "Sigmoid.backward"), variants=BOTH)
def network_backward(ctx):
    for fixture, (sizes, _, loss_name) in NETWORKS.items():
        f, net, linears, grad_in = _forward_backward(ctx, fixture)
        where = f"Network {'-'.join(map(str, sizes))} with {loss_name}: after forward and backward"
        try:
            for layer, linear in enumerate(linears):
                for attr, index in (("dW", 2 * layer), ("db", 2 * layer + 1)):
                    ctx.compare(linear.get(attr), f[f"g{index}"], key=f"{fixture}_{attr}{layer}",
                                inputs={"x": f["x"], "y": f["y"], "params": _fixture_params(f), "layer": layer},
                                call=f"{where}, layer {layer} {attr}", quantity=f"{attr} of Linear layer {layer}",
                                fix="backward must pass each layer's returned gradient to the layer before it, "
                                    "in reverse order, without updating any weight.")
            ctx.compare(grad_in, f["grad_in"], key=f"{fixture}_grad_in", call=f"{where}, the returned gradient",
                        quantity="gradients with respect to the network input",
                        fix="Network.backward must return what the first layer's backward returns.")
        except CheckFailed:
            ctx.probe("step_probe", lambda: _step_probe(ctx, net, linears, f))
            raise


STEP_PROBE_LR = 0.1


def parameter_name(index: int) -> str:
    """``"b of Linear layer 1"`` for index 3 of ``[W0, b0, W1, b1, ...]``."""
    return f"{'W' if index % 2 == 0 else 'b'} of Linear layer {index // 2}"


def _step_probe(ctx, net, linears, f):
    """Which way ``Network.step`` moves parameters whose gradients failed the check (for the detectors)."""
    names = [("W", "dW"), ("b", "db")]
    shapes = [p.shape for p in _fixture_params(f)]
    grads = [ctx.array(linears[i // 2].get(names[i % 2][1]), call="gradient", shape=shape)
             for i, shape in enumerate(shapes)]
    net.call("step", STEP_PROBE_LR)
    after = [ctx.array(linears[i // 2].get(names[i % 2][0]), call="parameter", shape=shape)
             for i, shape in enumerate(shapes)]
    return after, _fixture_params(f), {"grads": grads, "lr": STEP_PROBE_LR}


def _cached_inputs(linears):
    """Each Linear's cached input ``x`` (docs/API.md), or None when a layer has none."""
    try:
        values = [linear.get("x") for linear in linears]
    except StudentError:
        return None
    return values if all(isinstance(v, np.ndarray) for v in values) else None


@check("gradients.step", name="SGD step moves each parameter by -lr * grad", group="gradients",
       needs_api=("Network.parameters", "Network.step"), needs=("gradients.network_backward",), variants=BOTH)
def sgd_step(ctx):
    lr = 0.1
    f, net, linears, _ = _forward_backward(ctx, "network_ce")
    pairs = net.call("parameters")
    if not isinstance(pairs, list) or len(pairs) != 4 or any(
            not isinstance(p, list) or len(p) != 2 for p in pairs):
        raise CheckFailed("Network.parameters() should return a list of (param, grad) pairs, W then b for "
                          f"each Linear layer (4 pairs for 2 layers); got {type(pairs).__name__} "
                          f"of length {len(pairs) if isinstance(pairs, list) else 'n/a'}.")
    before = _fixture_params(f)
    grads = [f[f"g{i}"] for i in range(4)]
    cached = _cached_inputs(linears)
    net.call("step", lr)
    after = [linears[i // 2].get("W" if i % 2 == 0 else "b") for i in range(4)]
    cached_after = _cached_inputs(linears) if cached is not None else None
    if cached_after is not None:
        ctx.observe("cached_inputs", cached_after, cached)
    for i, (p0, g, p1) in enumerate(zip(before, grads, after)):
        name = parameter_name(i)
        ctx.compare(p1, p0 - lr * g, key=f"step{i}", inputs={"before": p0, "grad": g, "lr": lr},
                    call=f"Network.step({lr}) after forward and backward, {name}",
                    quantity="updated parameters p - lr * grad",
                    fix="update every parameter in place with p -= lr * grad (minus: descend; in place: "
                        "rebinding a local name leaves the layer unchanged).")


@check("gradients.no_accumulation", name="Gradients are overwritten, not accumulated", group="gradients",
       needs_api=("Linear.forward", "Linear.backward"), variants=BOTH)
def no_accumulation(ctx):
    f = ctx.fixture("linear")
    fan_in, fan_out = f["W"].shape
    layer = ctx.new("Linear", fan_in, fan_out)
    layer.set("W", f["W"])
    layer.set("b", f["b"])
    for _ in range(2):
        layer.call("forward", f["x"])
        layer.call("backward", f["g"])
    ctx.compare(layer.get("dW"), f["dW"], key="dW_twice", inputs={"x": f["x"], "g": f["g"]},
                call=f"Linear({fan_in}, {fan_out}): forward(x), backward(g) twice, then dW",
                quantity="weight gradients after the second identical backward",
                fix="assign self.dW = ... in backward; `+=` adds the previous call's gradient.")


# -- fixtures: whole networks, one batch, and the parameter gradients -------------------------------------
def network_fixture_of(rng, name):
    """Parameters of a reference network, one batch, its loss and every gradient."""
    sizes, output_sigmoid, loss_name = NETWORKS[name]
    net = reference_net(sizes, rng, output_sigmoid)
    loss = getattr(reference(), loss_name)()
    x = rng.normal(size=(6, sizes[0]))
    y = one_hot(rng, 6, sizes[-1])
    value = loss.forward(net.forward(x), y)
    grad_in = net.backward(loss.backward())
    return {"x": x, "y": y, "loss": np.float64(value), "grad_in": grad_in, **parameters_of(net), **gradients_of(net)}


@fixture_generator("network_ce")
def network_ce_fixture(rng):
    return network_fixture_of(rng, "network_ce")


@fixture_generator("network_mse")
def network_mse_fixture(rng):
    return network_fixture_of(rng, "network_mse")
