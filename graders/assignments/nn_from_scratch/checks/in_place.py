"""The no-modification rule (docs/API.md): every public method called once with correct inputs, watched by the worker.

The worker copies each array argument of a call and compares it after the
call (``nngrade.sandbox.InPlaceWrite``). Each probe below sets up what the
probed method needs (a forward before a backward, the fixture's parameters),
then makes exactly one watched call and reads the worker's findings for that
call alone, so a write is charged to the method that made it. The Network is
probed over the grader's stand-in layers: a layer's own write then cannot
show up as the Network's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from nngrade.checks.compare import CheckFailed
from nngrade.sandbox import InPlaceWrite, StudentError

from ..maths.backprop import loss_gradient
from ..maths.evaluate import mlp_outputs

#: A probe: ``run(ctx, watched)`` sets up, makes its one call through ``watched(thunk)`` and returns
#: ``(what the call returned, the correct value)``.
ProbeRun = Callable[[Any, Callable], tuple]


@dataclass(frozen=True)
class Probe:
    """One public method called with correct inputs."""

    method: str
    needs: tuple[str, ...]
    call: str
    run: ProbeRun


@dataclass
class Outcome:
    """What one probe saw: whether the method returned the right value, and the writes of its call."""

    probe: Probe
    right: bool
    writes: list[InPlaceWrite]


def _sigmoid_forward(ctx, watched):
    f = ctx.fixture("sigmoid")
    layer = ctx.new("Sigmoid")
    return watched(lambda: layer.call("forward", f["x"])), f["y"]


def _sigmoid_backward(ctx, watched):
    f = ctx.fixture("sigmoid")
    layer = ctx.new("Sigmoid")
    layer.call("forward", f["x"])
    return watched(lambda: layer.call("backward", f["g"])), f["grad_x"]


def _softmax(method: str, argument: str, expected: str) -> ProbeRun:
    def run(ctx, watched):
        f = ctx.fixture("softmax")
        layer = ctx.new("Softmax")
        if method != "forward":
            layer.call("forward", f["z"])
        return watched(lambda: layer.call(method, f[argument])), f[expected]
    return run


def _linear(method: str) -> ProbeRun:
    def run(ctx, watched):
        f = ctx.fixture("linear")
        layer = ctx.new("Linear", *f["W"].shape)
        layer.set("W", f["W"])
        layer.set("b", f["b"])
        if method == "forward":
            return watched(lambda: layer.call("forward", f["x"])), f["y"]
        layer.call("forward", f["x"])
        return watched(lambda: layer.call("backward", f["g"])), f["grad_x"]
    return run


def _loss_forward(cls: str, fixture: str, first: str) -> ProbeRun:
    def run(ctx, watched):
        f = ctx.fixture(fixture)
        loss = ctx.new(cls)
        return watched(lambda: loss.call("forward", f[first], f["target"])), float(f["loss"])
    return run


def _network(method: str) -> ProbeRun:
    def run(ctx, watched):
        from .gradients import NETWORKS, _fixture_params, _stand_in_layers_network

        f = ctx.fixture("network_ce")
        sizes, output_sigmoid, loss_name = NETWORKS["network_ce"]
        net, _ = _stand_in_layers_network(ctx, f, sizes, output_sigmoid)
        outputs = mlp_outputs(_fixture_params(f), f["x"], output_sigmoid=output_sigmoid)
        if method == "forward":
            return watched(lambda: net.call("forward", f["x"])), outputs
        net.call("forward", f["x"])
        grad_out = loss_gradient(outputs, f["y"], loss_name)
        return watched(lambda: net.call("backward", grad_out)), f["grad_in"]
    return run


PROBES = (
    Probe("Sigmoid.forward", ("Sigmoid.forward",), "Sigmoid().forward(x)", _sigmoid_forward),
    Probe("Sigmoid.backward", ("Sigmoid.forward", "Sigmoid.backward"), "Sigmoid.backward(grad_y) after forward(x)",
          _sigmoid_backward),
    Probe("Softmax.forward", ("Softmax.forward",), "Softmax().forward(z)", _softmax("forward", "z", "s")),
    Probe("Softmax.backward", ("Softmax.forward", "Softmax.backward"), "Softmax.backward(grad_s) after forward(z)",
          _softmax("backward", "g", "grad_z")),
    Probe("Softmax.jacobian", ("Softmax.forward", "Softmax.jacobian"), "Softmax.jacobian(z)",
          _softmax("jacobian", "z", "jacobian")),
    Probe("Linear.forward", ("Linear.forward",), "Linear.forward(x) with W, b set", _linear("forward")),
    Probe("Linear.backward", ("Linear.forward", "Linear.backward"), "Linear.backward(grad_y) after forward(x)",
          _linear("backward")),
    Probe("MSELoss.forward", ("MSELoss.forward",), "MSELoss().forward(pred, target)",
          _loss_forward("MSELoss", "mse", "pred")),
    Probe("CrossEntropyLoss.forward", ("CrossEntropyLoss.forward",), "CrossEntropyLoss().forward(probs, target)",
          _loss_forward("CrossEntropyLoss", "cross_entropy", "probs")),
    Probe("SoftmaxCrossEntropyLoss.forward", ("SoftmaxCrossEntropyLoss.forward",),
          "SoftmaxCrossEntropyLoss().forward(logits, target)",
          _loss_forward("SoftmaxCrossEntropyLoss", "softmax_ce", "logits")),
    Probe("Network.forward", ("Network.forward",), "Network.forward(x) over the grader's layers", _network("forward")),
    Probe("Network.backward", ("Network.forward", "Network.backward"),
          "Network.backward(grad_out) over the grader's layers", _network("backward")),
)


def is_right(yours, expected) -> bool:
    """Whether a probed call returned the correct value (float32 inside is fine)."""
    if np.ndim(expected) == 0:
        return isinstance(yours, (float, int)) and not isinstance(yours, bool) \
            and bool(np.isclose(yours, float(expected), rtol=1e-4, atol=1e-9))
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(float(np.max(np.abs(expected))), 1.0) if expected.size else 1.0
    return (isinstance(yours, np.ndarray) and yours.shape == expected.shape and yours.dtype.kind == "f"
            and bool(np.allclose(yours, expected, rtol=1e-4, atol=1e-7 * scale)))


def defined_in(hello: dict) -> Callable[[str], bool]:
    """``defined("Class.method")``: whether the worker's hello lists that name (and method)."""
    names = hello.get("names", {}) if isinstance(hello, dict) else {}

    def defined(need: str) -> bool:
        name, _, method = need.partition(".")
        entry = names.get(name)
        return isinstance(entry, dict) and (not method or method in entry.get("methods", {}))

    return defined


def run_probes(ctx, defined: Callable[[str], bool]) -> list[Outcome]:
    """Every probe whose methods the submission defines; a probe whose calls raise is not judged."""
    session = ctx.session
    outcomes = []
    for probe in PROBES:
        if not all(defined(need) for need in probe.needs):
            continue
        seen: list[InPlaceWrite] = []

        def watched(thunk):
            session.take_in_place_writes()  # what the set-up calls wrote is charged by their own probes
            value = thunk()
            seen.extend(session.take_in_place_writes())
            return value

        try:
            yours, expected = probe.run(ctx, watched)
        except (StudentError, CheckFailed):
            continue
        outcomes.append(Outcome(probe, is_right(yours, expected), seen))
    return outcomes


def describe(outcome: Outcome) -> str:
    """``Softmax.backward modified its argument grad_s in place: 15/15 elements changed``."""
    parts = []
    for write in outcome.writes:
        how = (f"{write.changed}/{write.size} elements changed" if write.what == "values"
               else f"its {write.what} changed")
        parts.append(f"its argument {write.argument} ({how})")
    return f"{outcome.probe.method} modified " + " and ".join(parts) + " in place"


def judge(ctx, outcomes: list[Outcome]) -> None:
    """Fail on the writes of methods that returned right values; earn nothing when no method did."""
    for outcome in outcomes:
        for write in outcome.writes:
            ctx.observe(f"in_place_{outcome.probe.method}", write.changed, 0, method=outcome.probe.method,
                        call=outcome.probe.call, argument=write.argument, changed=write.changed, size=write.size,
                        what=write.what, right=outcome.right)
    judged = [o for o in outcomes if o.right]
    if not judged:
        raise CheckFailed(
            "Nothing could be judged, so this check earns nothing: no method called with correct inputs "
            "returned its correct value, and only a method that computes its result shows whether it leaves "
            "its arguments alone. Fix the values first (the forward, Jacobian and gradient checks).")
    guilty = [o for o in judged if o.writes]
    unjudged = [o for o in outcomes if not o.right and o.writes]
    for outcome in unjudged:  # its own value check fails first; the write is not charged twice
        ctx.note(f"{describe(outcome)}, but it returned a wrong value, which its own check judges; "
                 "this check did not count the write.")
    if guilty:
        lines = [f"{describe(o)} when called as {o.probe.call} with correct inputs." for o in guilty]
        raise CheckFailed(
            "A method modifies its input in place: " + " ".join(lines) + " docs/API.md: no method writes into "
            "an array it is given; the caller still needs it (a Network passes one layer's cached output to the "
            f"next layer, training reuses the batch). Judged {len(judged)} methods that returned right values.\n"
            "Fix: never write into an argument (`z -= ...`, `g *= ...`, `x[...] = ...`, `np.exp(z, out=z)`); "
            "compute a new array instead.\nFix (code): shifted = z - z.max(axis=1, keepdims=True); "
            "grad = grad_y * y * (1 - y).")
