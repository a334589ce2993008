"""Gradient sign and updates: loss gradients, descent, whole networks, step, accumulation."""
from __future__ import annotations

import numpy as np

from nngrade.assignments.nn_from_scratch.common import BOTH, FD_STEP, parameter_name
from nngrade.assignments.nn_from_scratch.diagnoses.numbers import is_factor, scale_factor
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

from ..maths import composition
from ..maths.backprop import loss_gradient
from ..maths.evaluate import mlp_outputs
from .network import build_network, stand_in


def _loss_gradient(ctx, cls: str, fixture_name: str, first: str, formula: str, fix: str):
    """Compare a loss's backward() with the fixture, then test it against the student's own forward."""
    f = ctx.fixture(fixture_name)
    x, target = f[first], f["target"]
    loss = ctx.new(cls)
    value = ctx.scalar(loss.call("forward", x, target), call=f"{cls}().forward({first}, target)")
    yours = _zero_over_zero(ctx, cls, loss.call("backward"), x, target, f["grad"])
    grad = ctx.compare(yours, f["grad"], key="grad", inputs={first: x, "target": target, "loss": value},
                       call=f"{cls}().backward() after forward({first}, target)",
                       quantity=f"gradients {formula}", fix=fix)
    again = ctx.array(_zero_over_zero(ctx, cls, loss.call("backward"), x, target, f["grad"]),
                      call=f"{cls}().backward() called a second time", shape=x.shape)
    ctx.observe("grad_again", again, grad, **{first: x, "target": target})
    if not np.allclose(again, grad, rtol=ctx.rtol, atol=0.0, equal_nan=True):
        differs = ~np.isclose(again, grad, rtol=ctx.rtol, atol=0.0, equal_nan=True)
        index = tuple(int(i) for i in np.argwhere(differs)[0])
        raise CheckFailed(
            f"{cls}().backward() called twice after one forward({first}, target) gave a different gradient the "
            f"second time on {int(differs.sum())}/{grad.size} elements (e.g. {list(index)}: first "
            f"{grad[index]:.6g}, second {again[index]:.6g}): backward modifies what forward cached. Fix: compute the gradient into a new "
            "array (grad = self.probs.copy(); grad[...] -= ...), never in place on the cache.")
    # Descent: a small step against the gradient must lower the loss the student's
    # own forward reports; finite differences of that forward must agree in sign.
    if not np.isfinite(value):  # the forward's own fault, judged by the forward checks, not here
        ctx.note(f"{cls}().forward({first}, target) returned {value} on these inputs, so the descent test "
                 "against your own forward was skipped; the forward checks judge that value.")
        return grad
    step = 1e-3 / max(float(np.max(np.abs(grad))), 1e-12)
    moved = ctx.scalar(ctx.new(cls).call("forward", x - step * grad, target),
                       call=f"{cls}().forward({first} - h * grad, target)")
    if not moved < value:
        raise CheckFailed(f"{cls}: moving {first} against your backward() did not lower your forward() loss "
                          f"({value:.6g} -> {moved:.6g}): the gradient is not a descent direction.")
    numeric = np.zeros_like(x)
    probe = ctx.new(cls)
    indices = list(zip(*np.nonzero(np.abs(x) > 1e-4)))
    bumped = []
    for index in indices:
        for sign in (1.0, -1.0):
            bumped.append(x.copy())
            bumped[-1][index] += sign * FD_STEP
    values = [ctx.scalar(value, call=f"{cls}().forward")  # one round trip for every bumped input
              for value in probe.call_many("forward", [(b, target) for b in bumped])]
    for k, index in enumerate(indices):
        numeric[index] = (values[2 * k] - values[2 * k + 1]) / (2 * FD_STEP)
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


def _zero_over_zero(ctx, cls, yours, x, target, expected):
    """Accept nan from ``-0 / 0`` where a probability and its target are both exactly 0, with a 0-point note.

    The derivative there is 0 whatever the clip (the target weighs it out); an
    unclipped ``-target / probs`` gives 0/0 = nan only at such entries, which
    the forward check already judges (a finite loss at zero probabilities).
    """
    if cls != "CrossEntropyLoss" or not isinstance(yours, np.ndarray) or yours.shape != x.shape \
            or yours.dtype.kind != "f":
        return yours
    bad = ~np.isfinite(yours)
    degenerate = (x == 0) & (target == 0)
    if not bad.any() or (bad & ~degenerate).any():
        return yours
    ctx.note(f"{cls}().backward() returned nan at {int(bad.sum())} element(s) where the probability and the "
             "target are both 0 (-0 / 0); the derivative there is 0. Dividing by np.clip(probs, 1e-12, 1), "
             "as the forward does, keeps it finite.")
    return np.where(bad, expected, yours).astype(yours.dtype, copy=False)


NETWORKS = {"network_ce": ((3, 5, 3), False, "SoftmaxCrossEntropyLoss"),
            "network_mse": ((3, 4, 2), True, "MSELoss")}


def _fixture_params(f):
    return [f[f"p{i}"] for i in range(4)]


def _ran_forward_backward(ctx, f):
    """The ``network_ce`` network after one forward/backward, and the gradients its layers then hold."""
    _, net, linears, _ = _forward_backward(ctx, "network_ce", f)
    names = [("dW", "W"), ("db", "b")]
    grads = []
    for i, p in enumerate(_fixture_params(f)):
        try:
            grads.append(ctx.array(linears[i // 2].get(names[i % 2][0]), call="gradient", shape=p.shape))
        except (CheckFailed, StudentError):
            return net, linears, None
    return net, linears, grads


def _forward_backward(ctx, fixture_name, f=None):
    """Build the fixture's network from the student's classes and run one forward/backward."""
    f = ctx.fixture(fixture_name) if f is None else f
    sizes, output_sigmoid, loss_name = NETWORKS[fixture_name]
    net, linears = build_network(ctx, sizes, output_sigmoid=output_sigmoid, params=_fixture_params(f))
    loss = ctx.new(loss_name)
    ctx.scalar(loss.call("forward", net.call("forward", f["x"]), f["y"]), call=f"{loss_name}().forward")
    grad_in = net.call("backward", loss.call("backward"))
    return f, net, linears, grad_in


def _stand_in_layers_network(ctx, f, sizes, output_sigmoid):
    """The student's ``Network`` over the grader's stand-in layers holding the fixture's parameters."""
    params = _fixture_params(f)
    layers, linears = [], []
    for i, (W, b) in enumerate(zip(params[0::2], params[1::2])):
        linear = stand_in(ctx, "Linear", np.array(W, dtype=np.float64), np.array(b, dtype=np.float64))
        linears.append(linear)
        layers.append(linear)
        if i < len(sizes) - 2 or output_sigmoid:
            layers.append(stand_in(ctx, "Sigmoid"))
    return ctx.new("Network", layers), linears


def _read_gradients(ctx, linears, params):
    """``[dW0, db0, ...]`` read from the layers, None where one cannot be read as an array of the right shape."""
    found = []
    for i, p in enumerate(params):
        try:
            found.append(ctx.array(linears[i // 2].get("dW" if i % 2 == 0 else "db"), call="gradient",
                                   shape=p.shape))
        except (CheckFailed, StudentError):
            found.append(None)
    return found


@check("gradients.network_backward", name="Whole-network backpropagation", group="gradients",
       needs_api=("Network.forward", "Network.backward"), variants=BOTH)
def network_backward(ctx):
    """``Network.forward``/``backward`` alone: the student's Network over the grader's layers and loss gradient.

    The layers are the grader's stand-ins (``worker_stand_ins.py``) and the
    gradient handed to ``backward`` is the grader's own loss gradient, so a
    wrong layer derivative or loss costs its own check, not this one; what is
    judged is the composition: every layer's backward, in reverse order, each
    fed what the layer after it returned.
    """
    for fixture_name, (sizes, output_sigmoid, loss_name) in NETWORKS.items():
        f = ctx.fixture(fixture_name)
        params = _fixture_params(f)
        net, linears = _stand_in_layers_network(ctx, f, sizes, output_sigmoid)
        net.call("forward", f["x"])
        grad_out = loss_gradient(mlp_outputs(params, f["x"], output_sigmoid=output_sigmoid), f["y"], loss_name)
        grad_in = net.call("backward", grad_out)
        where = (f"Network {'-'.join(map(str, sizes))} of the grader's layers, backward(the gradient of "
                 f"{loss_name})")
        expected = [f[f"g{i}"] for i in range(len(params))]
        yours = _read_gradients(ctx, linears, params)
        mistake = composition.recognise(yours, params, f["x"], grad_out, output_sigmoid=output_sigmoid,
                                        rtol=ctx.rtol)
        diverging = composition.first_diverging_layer(yours, expected, ctx.rtol)
        fix = ("pass each layer's returned gradient to the layer before it, in reverse order, without updating "
               "any weight.")
        if mistake is not None:
            fix = composition.MISTAKES[mistake][1] + "."
            ctx.observe("composition", mistake, None, network="-".join(map(str, sizes)), loss=loss_name,
                        elements=int(sum(np.size(g) for g in expected)))
        try:
            for layer in reversed(range(len(linears))):
                for attr, index in (("dW", 2 * layer), ("db", 2 * layer + 1)):
                    ctx.compare(linears[layer].get(attr), expected[index], key=f"{fixture_name}_{attr}{layer}",
                                inputs={"x": f["x"], "y": f["y"], "params": params, "layer": layer},
                                call=f"{where}, layer {layer} {attr}"
                                     + (f" (layer {diverging} is the first to differ, counting from the output)"
                                        if diverging >= 0 else ""),
                                quantity=f"{attr} of Linear layer {layer}", fix=fix + (
                                    f" Measured: {composition.MISTAKES[mistake][0]}." if mistake else ""))
            ctx.compare(grad_in, f["grad_in"], key=f"{fixture_name}_grad_in", call=f"{where}, the returned gradient",
                        quantity="gradients with respect to the network input",
                        fix="every layer's dW and db are right, so only the return value is wrong: return the "
                            "gradient the first layer's backward returned.")
        except CheckFailed:
            ctx.probe("step_probe", lambda: _step_probe(ctx, net, linears, f))
            raise


STEP_PROBE_LR = 0.1


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
       needs_api=("Network.parameters", "Network.step"), variants=BOTH)
def sgd_step(ctx):
    """``Network.step`` alone: the true gradients are placed in ``dW``/``db`` first, so a backward bug costs nothing here.

    ``parameters()`` may return any iterable of pairs (a list, a tuple, a
    generator): ``step`` is judged by where the parameters end up.
    """
    lr = 0.1
    f = ctx.fixture("network_ce")
    before = _fixture_params(f)
    try:  # the layers then hold what a training step leaves in them (cached inputs too)
        net, linears, grads = _ran_forward_backward(ctx, f)
    except StudentError as exc:  # that unit's failure, judged by network_backward: not this check's
        ctx.note(f"forward and backward raised {exc.type} before the step; the step was judged on fresh layers.")
        net, linears = build_network(ctx, NETWORKS["network_ce"][0], params=before)
        grads = None
    true = [f[f"g{i}"] for i in range(4)]
    for i, param in enumerate(before):  # whatever forward and backward did to them, step starts from these
        linears[i // 2].set("W" if i % 2 == 0 else "b", np.array(param, dtype=np.float64))
    try:
        for i, grad in enumerate(true):
            linears[i // 2].set("dW" if i % 2 == 0 else "db", np.array(grad, dtype=np.float64))
        grads = true
    except StudentError as exc:  # e.g. dW a read-only property over another attribute
        if grads is None or not all(np.all(np.isfinite(g)) and np.any(g != 0) for g in grads):
            raise CheckFailed(
                f"Linear.dW and Linear.db could not be set ({exc.type}: {exc.message}) and your backward left no "
                "usable gradients there, so Network.step cannot be judged and this check earns nothing. Fix: keep "
                "the gradients in plain attributes dW and db (docs/API.md).") from None
        ctx.note("Linear.dW/db could not be set, so the step was judged with the gradients your own backward "
                 "left in them; docs/API.md has plain attributes dW and db.")
    cached = _cached_inputs(linears)
    net.call("step", lr)
    after = [linears[i // 2].get("W" if i % 2 == 0 else "b") for i in range(4)]
    cached_after = _cached_inputs(linears) if cached is not None else None
    if cached_after is not None:
        ctx.observe("cached_inputs", cached_after, cached)
    for i, (p0, g, p1) in enumerate(zip(before, grads, after)):
        name = parameter_name(i)
        ctx.compare(p1, p0 - lr * g, key=f"step{i}", inputs={"before": p0, "grad": g, "lr": lr},
                    call=f"Network.step({lr}) with {'the true' if grads is true else 'your'} gradients in dW and "
                         f"db, {name}",
                    quantity="updated parameters p - lr * grad",
                    fix=("subtract the learning rate times its gradient from every parameter, in place (minus: "
                         "descend; in place: rebinding a local name leaves the layer unchanged).",
                         "p -= lr * grad"))


@check("gradients.no_accumulation", name="Gradients are overwritten, not accumulated", group="gradients",
       needs_api=("Linear.forward", "Linear.backward"), variants=BOTH)
def no_accumulation(ctx):
    """A second identical backward must leave ``dW`` as the first one set it.

    Judged against the student's own first ``dW``, which must be a non-zero
    multiple of ``x.T @ g``: a constant or zero ``dW`` earns nothing (nothing
    would show accumulation), while a ``dW`` off by a constant factor (e.g.
    divided by the batch size, judged by the Linear checks) is still judged on
    whether it accumulates.
    """
    f = ctx.fixture("linear")
    fan_in, fan_out = f["W"].shape
    layer = ctx.new("Linear", fan_in, fan_out)
    layer.set("W", f["W"])
    layer.set("b", f["b"])
    call = f"Linear({fan_in}, {fan_out}): forward(x), backward(g)"
    layer.call("forward", f["x"])
    layer.call("backward", f["g"])
    first = ctx.array(layer.get("dW"), call=f"{call}, then dW", shape=f["W"].shape)
    factor = scale_factor(first, f["dW"])
    ctx.observe("dW_once", first, f["dW"], x=f["x"], g=f["g"])
    if factor is None:
        raise CheckFailed(
            f"{call}: dW is not a multiple of x.T @ g (e.g. [0, 0]: yours {first.flat[0]:.6g}, x.T @ g "
            f"{f['dW'].flat[0]:.6g}), so whether a second backward accumulates cannot be told and this check "
            "earns nothing. Fix: self.dW = self.x.T @ grad_y, then see whether a second call adds to it.")
    if not is_factor(factor, 1.0):
        ctx.note(f"dW is {factor:.4g} x x.T @ g; the Linear backward checks judge that value, this check only "
                 "whether a second backward overwrites it.")
    layer.call("forward", f["x"])
    layer.call("backward", f["g"])
    ctx.compare(layer.get("dW"), factor * f["dW"], key="dW_twice", inputs={"x": f["x"], "g": f["g"]},
                call=f"{call} twice, then dW",
                quantity="weight gradients after the second identical backward (your first dW)",
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
