"""Sign and update bugs: flipped gradients, ascent, lost or misplaced updates, accumulation."""
from __future__ import annotations

import numpy as np

from nngrade.assignments.nn_from_scratch.common import parameter_name
from nngrade.assignments.nn_from_scratch.diagnoses.numbers import (
    as_array,
    close,
    first_layer_shift,
    first_mismatch,
    fmt,
    is_factor,
    ratio_evidence,
    scale_factor,
)
from nngrade.diagnoses.catalogue import diagnosis

GRADIENT_CHECKS = ("jacobians.softmax_backward", "jacobians.sigmoid_backward", "jacobians.linear_backward",
                   "gradients.mse_backward", "gradients.cross_entropy_backward",
                   "gradients.softmax_ce_backward", "gradients.network_backward", "gradients.no_accumulation")
XOR_CHECKS = ("xor.softmax_ce", "xor.mse")
NETWORK_LOSSES = {"network_ce": "SoftmaxCrossEntropyLoss", "network_mse": "MSELoss"}


def _flipped(observations):
    """``(key, evidence)`` when the first mismatch is exactly -1 x the reference."""
    found = first_mismatch(observations)
    if found is None:
        return None
    key, obs = found
    factor = scale_factor(obs.yours, obs.reference)
    if not is_factor(factor, -1.0):
        return None
    return key, ratio_evidence(factor, np.size(obs.reference))


def _step_adds(observations) -> float | None:
    """The lr when the recorded ``Network.step`` probe moved every parameter by ``+lr * grad``."""
    probe = observations.get("step_probe")
    if probe is None:
        return None
    lr = probe.inputs["lr"]
    moved = 0
    for before, grad, after in zip(probe.reference, probe.inputs["grads"], probe.yours):
        before, grad, after = as_array(before), as_array(grad), as_array(after)
        if before is None or grad is None or after is None or before.shape != grad.shape:
            return None
        if not close(after, before + lr * grad):
            return None
        moved += bool(np.any(grad != 0))
    return lr if moved and len(probe.yours) == len(probe.reference) else None


@diagnosis("gradient_sign_flipped", title="Gradient sign flipped", checks=GRADIENT_CHECKS,
           message="Called: the backward pass named in the check above.\n"
                   "Expected: the gradient of the loss with respect to that quantity.\n"
                   "Observed: every element has the reference's magnitude and the opposite sign: this is the "
                   "gradient of -loss, and `p -= lr * grad` would climb the loss.\n"
                   "Fix: look for a reversed difference (target - pred instead of pred - target, "
                   "target - softmax instead of softmax - target) or a stray minus sign.")
def gradient_sign_flipped(observations):
    hit = _flipped(observations)
    if hit is None or _step_adds(observations) is not None:
        return None
    return hit[1]


@diagnosis("sign_errors_cancel", title="Two sign errors that cancel", checks=("gradients.network_backward",),
           message="Called: Network.backward after a forward pass, then Network.step(lr) on the same network.\n"
                   "Expected: backward gives the gradient g, and step moves each parameter by -lr * g.\n"
                   "Observed: backward gives -g and step adds lr * (-g): the two errors cancel, so training "
                   "still lowers the loss (XOR converges) while every gradient check fails.\n"
                   "Fix: correct both together: return the true gradient from backward (pred - target, not "
                   "target - pred) and subtract it in step. Fixing only one makes training "
                   "climb the loss.\nFix (code): `p -= lr * grad` in step.")
def sign_errors_cancel(observations):
    hit = _flipped(observations)
    lr = _step_adds(observations)
    if hit is None or lr is None:
        return None
    return f"{hit[1]}; Network.step({lr:g}) then moved every parameter by +{lr:g} x your gradient"


def _step_mismatch(observations):
    """``(index, before, grad, lr, after)`` of the first parameter ``Network.step`` got wrong."""
    found = first_mismatch(observations, prefix="step")
    if found is None or not found[0][4:].isdigit():
        return None
    key, obs = found
    before, grad, after = as_array(obs.inputs["before"]), as_array(obs.inputs["grad"]), as_array(obs.yours)
    if before is None or grad is None or after is None or not np.any(grad != 0):
        return None
    return int(key[4:]), before, grad, float(obs.inputs["lr"]), after


def _losses_rose(observations) -> str | None:
    """Evidence that the loss climbed during XOR training on every seed."""
    runs = [(key[4:], as_array(obs.inputs.get("losses"))) for key, obs in observations.items()
            if key.startswith("seed")]
    if not runs:
        return None
    for _, losses in runs:
        if losses is None or losses.size < 2 or not np.all(np.isfinite(losses)):
            return None
        rising = float(np.mean(np.diff(losses) > 0))
        if not (losses[-1] > losses[0] + 0.05 and rising >= 0.8):
            return None
    seed, losses = runs[0]
    return (f"the training loss rose on {len(runs)}/{len(runs)} seeds "
            f"(seed {seed}: {fmt(losses[0])} -> {fmt(losses[-1])}, rising on "
            f"{np.mean(np.diff(losses) > 0):.0%} of the steps)")


def _xor_step_direction(observations) -> float | None:
    """+1 when every recorded training update was ``+lr * grad``, -1 when ``-lr * grad``, else None.

    Uses the snapshots (parameters, reported gradients, updated parameters)
    that the XOR checks take at a few steps of each run.
    """
    directions = set()
    for key, obs in observations.items():
        if not key.startswith("seed"):
            continue
        lr = obs.inputs.get("lr")
        for snap in obs.inputs.get("snapshots") or []:
            for before, grad, after in zip(snap["params"], snap["grads"], snap["updated"]):
                before, grad, after = as_array(before), as_array(grad), as_array(after)
                if lr is None or before is None or grad is None or after is None or not np.any(grad != 0):
                    continue
                factor = scale_factor(after - before, lr * grad)
                directions.add(1.0 if is_factor(factor, 1.0) else -1.0 if is_factor(factor, -1.0) else 0.0)
    return directions.pop() if len(directions) == 1 and 0.0 not in directions else None


@diagnosis("gradient_ascent", title="Gradient ascent: the step adds the gradient",
           checks=("gradients.step",) + XOR_CHECKS,
           message="Called: Network.step(lr) after forward and backward (and, in the XOR checks, full "
                   "training).\n"
                   "Expected: every parameter moves by -lr * grad, so the loss goes down.\n"
                   "Observed: the parameters move by +lr * grad, or the loss climbs during training.\n"
                   "Fix: subtract the learning rate times the gradient; adding it is gradient ascent. If step already "
                   "subtracts, a gradient has the wrong sign (see the gradient checks).\n"
                   "Fix (code): `param -= lr * grad`; `param += lr * grad` is gradient ascent.")
def gradient_ascent(observations):
    found = _step_mismatch(observations)
    if found is None:
        rose = _losses_rose(observations)
        if rose is None or _xor_step_direction(observations) == -1.0:
            return None
        return rose
    index, before, grad, lr, after = found
    factor = scale_factor(after - before, -lr * grad)
    if not is_factor(factor, -1.0):
        return None
    return (f"Network.step({lr:g}) moved {parameter_name(index)} by +lr * grad: "
            f"{ratio_evidence(factor, grad.size)} change -lr * grad")


@diagnosis("gradients_point_uphill", title="Training climbs the loss although the step is right",
           checks=XOR_CHECKS,
           message="Called: forward, loss, backward and Network.step(lr) for every XOR training step.\n"
                   "Expected: the loss goes down, since step moves each parameter by -lr * grad.\n"
                   "Observed: step does subtract lr * grad, yet the loss rises steadily: the gradients "
                   "backward reports point uphill, so some backward has the wrong sign or is not the "
                   "derivative of the forward.\n"
                   "Fix: see which gradient check fails (a loss's backward, Sigmoid or Linear backward) and "
                   "fix that layer; compare each backward with finite differences of its forward.")
def gradients_point_uphill(observations):
    rose = _losses_rose(observations)
    if rose is None or _xor_step_direction(observations) != -1.0:
        return None
    return f"{rose}, while every checked update was exactly -lr x the reported gradient"


def _activations_changed(observations) -> str | None:
    """Evidence that step changed a Linear layer's cached input ``x``."""
    probe = observations.get("cached_inputs")
    if probe is None:
        return None
    for layer, (before, after) in enumerate(zip(probe.reference, probe.yours)):
        before, after = as_array(before), as_array(after)
        if before is not None and after is not None and before.shape == after.shape \
                and not np.array_equal(before, after):
            changed = int(np.sum(before != after))
            return f"the cached input Linear.x of layer {layer} changed on {changed}/{before.size} elements"
    return None


def _unchanged_params(observations) -> str | None:
    found = _step_mismatch(observations)
    if found is None:
        return None
    index, before, grad, lr, after = found
    if after.shape != before.shape or not np.array_equal(after, before):
        return None
    return (f"after Network.step({lr:g}) all {before.size} elements of {parameter_name(index)} are unchanged "
            f"(its gradient is not zero: max |grad| = {fmt(np.max(np.abs(grad)))})")


def _xor_params_unchanged(observations) -> str | None:
    runs = [obs for key, obs in observations.items() if key.startswith("seed")]
    if not runs:
        return None
    for obs in runs:
        start, final = obs.inputs.get("start"), obs.yours
        if not isinstance(final, list) or len(final) != len(start) or not all(
                as_array(a) is not None and np.array_equal(as_array(a), b) for a, b in zip(final, start)):
            return None
    steps = np.size(runs[0].inputs["losses"])
    return (f"after {steps} training steps every parameter still equals its initial value "
            f"on {len(runs)}/{len(runs)} seeds")


@diagnosis("update_not_applied", title="The update never reaches the parameters",
           checks=("gradients.step",) + XOR_CHECKS,
           message="Called: Network.step(lr) after forward and backward, then the layers' W and b were read "
                   "back.\n"
                   "Expected: each parameter array changed in place to p - lr * grad.\n"
                   "Observed: W and b are exactly as they were before the step.\n"
                   "Fix: update the arrays themselves, in place: assigning to the loop variable only rebinds a local name.\n"
                   "Fix (code): `param -= lr * grad` (or `layer.W = layer.W - lr * "
                   "layer.dW` on the layer). `p = p - lr * g` inside a loop over parameters() only rebinds the "
                   "local name p.")
def update_not_applied(observations):
    if _activations_changed(observations):
        return None
    return _unchanged_params(observations) or _xor_params_unchanged(observations)


@diagnosis("gradient_assigned", title="The gradient is assigned to the parameter", checks=("gradients.step",),
           message="Called: Network.step(lr) after forward and backward, then the layers' W and b were read "
                   "back.\n"
                   "Expected: each parameter becomes p - lr * grad.\n"
                   "Observed: the parameter was overwritten by (a multiple of) its gradient; its old value is "
                   "gone.\n"
                   "Fix: subtract the step from the parameter instead of overwriting the parameter with its gradient.\n"
                   "Fix (code): `param -= lr * grad`, instead of assigning "
                   "`param[:] = grad` or `param[:] = -lr * grad`.")
def gradient_assigned(observations):
    found = _step_mismatch(observations)
    if found is None:
        return None
    index, _, grad, lr, after = found
    for factor, formula in ((1.0, "grad"), (-lr, "-lr * grad"), (lr, "lr * grad")):
        if close(after, factor * grad):
            return (f"after Network.step({lr:g}), {parameter_name(index)} = {formula} "
                    f"on {grad.size}/{grad.size} elements")
    return None


@diagnosis("updated_activations", title="The step updates cached activations instead of the weights",
           checks=("gradients.step",),
           message="Called: Network.step(lr) after forward and backward; the layers' W, b and cached input x "
                   "were read before and after.\n"
                   "Expected: W and b move by -lr * grad; the cached activations are left alone.\n"
                   "Observed: W and b did not change, but the activations a Linear layer cached in forward did.\n"
                   "Fix: the parameters are the layers' W and b (what parameters() returns); the inputs and "
                   "outputs of forward are data, not something to train.")
def updated_activations(observations):
    unchanged, changed = _unchanged_params(observations), _activations_changed(observations)
    if unchanged is None or changed is None:
        return None
    return f"{unchanged}; {changed}"


def _fit_shift(yours, reference, direction) -> float | None:
    """The ``a > 0`` with ``yours == reference + a * direction``, or None."""
    y, r, d = as_array(yours), as_array(reference), as_array(direction)
    if y is None or r is None or d is None or not (y.shape == r.shape == d.shape):
        return None
    norm = float(np.sum(d * d))
    if norm == 0.0 or not np.all(np.isfinite(y)):
        return None
    a = float(np.sum((y - r) * d)) / norm
    return a if a > 0 and close(y, r + a * d) and not close(y, r) else None


def _shift_in_linear(observations) -> str | None:
    found = first_mismatch(observations, prefix="grad_x")
    if found is None:
        return None
    _, obs = found
    x, W, g = (np.asarray(obs.inputs[k], dtype=np.float64) for k in ("x", "W", "g"))
    dW = x.T @ g
    a = _fit_shift(obs.yours, g @ W.T, -g @ dW.T)
    if a is None:
        return None
    return (f"the returned gradient = grad_y @ (W - {a:.4g} * dW).T on {g.shape[0] * W.shape[0]}/"
            f"{g.shape[0] * W.shape[0]} elements: W had already moved by -{a:.4g} x dW")


def _shift_in_network(observations) -> str | None:
    found = first_mismatch(observations, prefix="network_")
    if found is None or not found[0].endswith("_dW0"):
        return None
    key, obs = found
    loss = NETWORK_LOSSES.get(key[: -len("_dW0")])
    if loss is None:
        return None
    dW0, direction = first_layer_shift(obs.inputs["params"], obs.inputs["x"], obs.inputs["y"], loss)
    a = _fit_shift(obs.yours, dW0, direction)
    if a is None:
        return None
    size = np.size(obs.reference)
    return (f"dW of Linear layer 0 = the gradient backpropagated through (W1 - {a:.4g} * dW1) on "
            f"{size}/{size} elements: layer 1 was updated before its W.T carried the error to layer 0")


@diagnosis("update_before_backprop", title="Weights updated before backpropagating to earlier layers",
           checks=("jacobians.linear_backward", "gradients.network_backward"),
           message="Called: backward through Linear layers (alone, and inside a Network).\n"
                   "Expected: the gradient passed to the previous layer is grad_y @ W.T with W as it was in "
                   "forward; parameters change only in Network.step.\n"
                   "Observed: the gradient was computed with a W that had already been moved by -lr * dW, so "
                   "every earlier (hidden) layer receives a wrong error signal.\n"
                   "Fix: do not update W or b inside backward; compute dW, db and grad_x from the unchanged "
                   "parameters and leave the update to step().")
def update_before_backprop(observations):
    return _shift_in_linear(observations) or _shift_in_network(observations)


@diagnosis("gradient_accumulated", title="Gradients accumulated across backward calls",
           checks=("gradients.no_accumulation",),
           message="Called: Linear forward(x) and backward(g) twice with the same arrays, then dW was read.\n"
                   "Expected: the same dW as after a single backward, since each backward overwrites dW.\n"
                   "Observed: dW is twice the reference: the second backward added to the first one's result.\n"
                   "Fix: overwrite dW and db in backward instead of adding to them; a framework-style zero_grad is "
                   "not part of this API.\n"
                   "Fix (code): assign `self.dW = x.T @ grad_y` (and `self.db = ...`) in backward instead of `+=`.")
def gradient_accumulated(observations):
    found = first_mismatch(observations, prefix="dW_twice")
    if found is None:
        return None
    factor = scale_factor(found[1].yours, found[1].reference)
    if not is_factor(factor, 2.0):
        return None
    return ratio_evidence(factor, np.size(found[1].reference)) + " after two identical backward calls"
