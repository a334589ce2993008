"""Sigmoid bugs: applied twice, unstable, wrong formula, and the classic derivative mix-ups."""
from __future__ import annotations

import numpy as np

from nngrade.assignments.nn_from_scratch.diagnoses.numbers import (
    as_array,
    close,
    first_mismatch,
    fmt,
    fmt_list,
    matching_signature,
    own_forward_wrong,
    sigmoid,
)
from nngrade.diagnoses.catalogue import diagnosis

FORWARD_CHECKS = ("forward.sigmoid", "forward.sigmoid_extreme")
BACKWARD_CHECKS = ("jacobians.sigmoid_backward",)


def _forward(observations):
    """``(x, yours)`` of a mismatched forward observation, or None."""
    found = first_mismatch(observations, prefix="forward")
    if found is None:
        return None
    return np.asarray(found[1].inputs["x"], dtype=np.float64), found[1].yours


@diagnosis("double_sigmoid", title="Sigmoid applied twice", checks=FORWARD_CHECKS,
           message="Called: Sigmoid().forward(x).\n"
                   "Expected: 1 / (1 + exp(-x)), with sigmoid(0) = 0.5 and outputs anywhere in (0, 1).\n"
                   "Observed: the sigmoid of something that is already a sigmoid: no output is below 0.5.\n"
                   "Fix: apply the logistic function once, to x itself; do not feed a sigmoid (or expit) back "
                   "into 1 / (1 + exp(...)).")
def double_sigmoid(observations):
    found = _forward(observations)
    if found is None:
        return None
    x, yours = found
    size = x.size
    if close(yours, sigmoid(sigmoid(x))):
        return (f"yours = sigmoid(sigmoid(x)) on {size}/{size} elements: every output lies in (0.5, 0.7311), "
                f"and x = 0 gives sigmoid(0.5) = {fmt(sigmoid(0.5))} instead of 0.5")
    if close(yours, 1.0 / (1.0 + sigmoid(-x))):
        return (f"yours = 1 / (1 + sigmoid(-x)) on {size}/{size} elements: every output lies in (0.5, 1), "
                f"and x = 0 gives 1 / 1.5 = {fmt(1 / 1.5)} instead of 0.5")
    return None


@diagnosis("sigmoid_overflow_nan", title="Sigmoid overflows to NaN for large inputs", checks=FORWARD_CHECKS,
           message="Called: Sigmoid().forward(x) with |x| up to 1000.\n"
                   "Expected: exactly 1.0 at x = 1000 and 0.0 at x = -1000, with no NaN.\n"
                   "Observed: NaN where exp(x) overflows to inf: exp(x) / (1 + exp(x)) is inf / inf there.\n"
                   "Fix: exponentiate only non-positive numbers and pick one of the two equal forms of the sigmoid by the "
                   "sign of x.\nFix (code): e = np.exp(-np.abs(x)), then 1 / (1 + e) for "
                   "x >= 0 and e / (1 + e) for x < 0.")
def sigmoid_overflow_nan(observations):
    found = _forward(observations)
    if found is None:
        return None
    x, yours = found
    with np.errstate(all="ignore"):
        naive = np.exp(x) / (1.0 + np.exp(x))
    if not np.isnan(naive).any() or not close(yours, naive):
        return None
    bad = int(np.isnan(naive).sum())
    return f"NaN at the {bad} element(s) where x > 709.78 (exp(x) = inf); the other values are right"


@diagnosis("sigmoid_wrong_formula", title="Sigmoid formula wrong", checks=FORWARD_CHECKS,
           message="Called: Sigmoid().forward on the inputs 0, 1, -1 and 2.\n"
                   "Expected: 1 / (1 + exp(-x)) = 0.5, 0.7311, 0.2689, 0.8808.\n"
                   "Observed: other values (see the evidence), so the formula itself is wrong, not just "
                   "unstable.\n"
                   "Fix: mind the minus sign in the exponent (1 / (1 + exp(x)) is sigmoid(-x)) "
                   "and the plus in the denominator.\nFix (code): return 1 / (1 + np.exp(-x)).")
def sigmoid_wrong_formula(observations):
    probe = observations.get("probe")
    if probe is None or close(probe.yours, probe.reference) or double_sigmoid(observations):
        return None
    yours = as_array(probe.yours)
    if yours is None:
        return None
    x = np.asarray(probe.inputs["x"], dtype=np.float64)
    text = (f"Sigmoid().forward({fmt_list(x)}) returned {fmt_list(yours)}; "
            f"expected {fmt_list(probe.reference)}")
    if close(yours, sigmoid(-x)):
        text += ": that is sigmoid(-x), the sign inside exp is flipped"
    return text


def _backward(observations):
    """``(x, y, g, yours)`` of the mismatched fixture backward, or None."""
    found = first_mismatch(observations, prefix="backward")
    if found is None or own_forward_wrong(observations):
        return None
    inputs = found[1].inputs
    x, y, g = (np.asarray(inputs[k], dtype=np.float64) for k in ("x", "y", "g"))
    return x, y, g, found[1].yours


def _candidate(observations, formula) -> str | None:
    found = _backward(observations)
    if found is None:
        return None
    x, y, g, yours = found
    return matching_signature(yours, formula(x, y, g))


@diagnosis("sigmoid_derivative_of_input", title="Sigmoid derivative x * (1 - x) applied to the pre-activation",
           checks=BACKWARD_CHECKS,
           message="Called: Sigmoid().backward(g) after forward(x).\n"
                   "Expected: g * y * (1 - y), where y = sigmoid(x) is the output cached by forward.\n"
                   "Observed: g * x * (1 - x): the formula was applied to the input x.\n"
                   "Fix: sigmoid'(x) = y * (1 - y) is written in terms of the OUTPUT; cache y in forward and "
                   "use it in backward.")
def sigmoid_derivative_of_input(observations):
    return _candidate(observations, lambda x, y, g: [("g * x * (1 - x)", g * x * (1.0 - x))])


@diagnosis("sigmoid_derivative_twice", title="Sigmoid applied again inside its derivative",
           checks=BACKWARD_CHECKS,
           message="Called: Sigmoid().backward(g) after forward(x).\n"
                   "Expected: g * y * (1 - y) with the cached output y.\n"
                   "Observed: g * sigmoid(y) * (1 - sigmoid(y)): the cached value is already the sigmoid, and "
                   "it was passed through the sigmoid once more.\n"
                   "Fix: use the cached output y directly: it already is the sigmoid.\n"
                   "Fix (code): return grad_y * self.y * (1 - self.y).")
def sigmoid_derivative_twice(observations):
    return _candidate(observations, lambda x, y, g: [
        ("g * sigmoid(y) * (1 - sigmoid(y))", g * sigmoid(y) * (1.0 - sigmoid(y)))])


@diagnosis("sigmoid_derivative_of_error", title="Derivative taken of the incoming error",
           checks=BACKWARD_CHECKS,
           message="Called: Sigmoid().backward(g) after forward(x).\n"
                   "Expected: g * y * (1 - y): the incoming gradient times the derivative at the cached output.\n"
                   "Observed: the derivative formula was evaluated at the incoming gradient g (the error), "
                   "not at y.\n"
                   "Fix: the derivative is taken at the cached output y; the incoming gradient only multiplies it.\n"
                   "Fix (code): return grad_y * self.y * (1 - self.y).")
def sigmoid_derivative_of_error(observations):
    return _candidate(observations, lambda x, y, g: [("g * (1 - g)", g * (1.0 - g)),
                                                     ("g * g * (1 - g)", g * g * (1.0 - g))])


@diagnosis("sigmoid_backward_ignores_gradient", title="Sigmoid backward ignores the incoming gradient",
           checks=BACKWARD_CHECKS,
           message="Called: Sigmoid().backward(g) after forward(x).\n"
                   "Expected: g * y * (1 - y): the chain rule multiplies the local derivative by the gradient "
                   "that arrives from the layer above.\n"
                   "Observed: y * (1 - y) alone: the local derivative, with g dropped.\n"
                   "Fix: multiply the local derivative by the incoming gradient (the chain rule).\n"
                   "Fix (code): return grad_y * self.y * (1 - self.y).")
def sigmoid_backward_ignores_gradient(observations):
    return _candidate(observations, lambda x, y, g: [("y * (1 - y), without g", y * (1.0 - y))])


SPECIFIC_DERIVATIVES = (sigmoid_derivative_of_input, sigmoid_derivative_twice, sigmoid_derivative_of_error,
                        sigmoid_backward_ignores_gradient)


@diagnosis("sigmoid_derivative_wrong", title="Sigmoid derivative formula wrong", checks=BACKWARD_CHECKS,
           message="Called: Sigmoid().backward(ones) after forward on the inputs 0, 1, -1 and 2.\n"
                   "Expected: y * (1 - y) = 0.25, 0.1966, 0.1966, 0.105 (the derivative is 0.25 at 0).\n"
                   "Observed: other values, although your forward outputs are right there.\n"
                   "Fix: the derivative is y * (1 - y) at the y cached by forward, times the incoming gradient.\n"
                   "Fix (code): return grad_y * y * (1 - y).")
def sigmoid_derivative_wrong(observations):
    probe = observations.get("derivative_probe")
    if probe is None or close(probe.yours, probe.reference) or own_forward_wrong(observations):
        return None
    if any(entry(observations) for entry in SPECIFIC_DERIVATIVES):
        return None
    x = np.asarray(probe.inputs["x"], dtype=np.float64)
    if not close(probe.inputs.get("y"), sigmoid(x)) or as_array(probe.yours) is None:
        return None  # the forward pass is wrong too: its own entries explain it
    return (f"Sigmoid().backward(ones) after forward({fmt_list(x)}) returned {fmt_list(probe.yours)}; "
            f"expected {fmt_list(probe.reference)}")
