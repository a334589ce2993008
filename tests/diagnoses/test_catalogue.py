"""The catalogue itself: pinned ids, titles and messages, valid check names, detector edge cases."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from nngrade.checks.context import Observation
from nngrade.checks.registry import collect
from nngrade.diagnoses import diagnose, load_catalogue
from nngrade.diagnoses.catalogue import diagnosis

CATALOGUE = load_catalogue()

TITLES = {
    "gradient_sign_flipped": "Gradient sign flipped",
    "sign_errors_cancel": "Two sign errors that cancel",
    "gradient_ascent": "Gradient ascent: the step adds the gradient",
    "gradients_point_uphill": "Training climbs the loss although the step is right",
    "update_not_applied": "The update never reaches the parameters",
    "gradient_assigned": "The gradient is assigned to the parameter",
    "updated_activations": "The step updates cached activations instead of the weights",
    "update_before_backprop": "Weights updated before backpropagating to earlier layers",
    "gradient_accumulated": "Gradients accumulated across backward calls",
    "double_sigmoid": "Sigmoid applied twice",
    "sigmoid_overflow_nan": "Sigmoid overflows to NaN for large inputs",
    "sigmoid_wrong_formula": "Sigmoid formula wrong",
    "sigmoid_derivative_of_input": "Sigmoid derivative x * (1 - x) applied to the pre-activation",
    "sigmoid_derivative_twice": "Sigmoid applied again inside its derivative",
    "sigmoid_derivative_of_error": "Derivative taken of the incoming error",
    "sigmoid_backward_ignores_gradient": "Sigmoid backward ignores the incoming gradient",
    "sigmoid_derivative_wrong": "Sigmoid derivative formula wrong",
    "softmax_jacobian_row_sum": "Softmax Jacobian summed over its rows",
    "softmax_jacobian_diagonal": "Softmax Jacobian reduced to its diagonal s * (1 - s)",
    "softmax_jacobian_from_z": "Softmax Jacobian built from the logits z instead of s",
    "softmax_derivative_twice": "Softmax derivative applied on top of the fused gradient",
    "softmax_no_max_subtraction": "Softmax without subtracting the row maximum",
    "softmax_global_max": "Softmax shifted by the batch maximum instead of each row's",
    "softmax_wrong_axis": "Softmax normalised over the wrong axis",
    "softmax_no_axis": "Softmax normalised over the whole batch",
    "softmax_missing_keepdims": "Softmax reduction without keepdims (visible when n == k)",
    "integer_output": "Output array of integer dtype",
    "input_modified_in_place": "Input array modified in place",
    "soft_targets_argmax": "Uses only the argmax of each target row",
    "log_of_zero": "log(0): probabilities not clipped",
    "batch_mean_vs_sum": "Batch sum instead of mean (or divided by n twice)",
    "ce_mean_over_all_elements": "Cross-entropy averaged over all n*k elements",
    "mse_mean_over_samples": "MSE averaged over samples only",
    "log_base_wrong": "Logarithm in base 2 or 10 instead of the natural log",
    "loss_missing_minus": "Cross-entropy without its minus sign",
    "mse_missing_factor_2": "MSE derivative missing the factor 2",
    "gradient_of_other_loss": "Gradient of a different loss than the one computed",
    "weight_gradient_transposed": "Weight gradient transposed",
    "bias_gradient_not_summed": "Bias gradient not summed over the batch",
    "bias_gradient_scalar": "Bias gradient summed to a single number",
    "bias_gradient_averaged": "Bias gradient averaged instead of summed",
    "hidden_delta_not_through_WT": "Gradient not propagated through W.T",
    "linear_bias_missing": "Linear forward without the bias",
    "init_constant": "Constant initial weights: the symmetry is never broken",
    "init_all_positive": "All-positive initial weights (rand instead of a zero-mean draw)",
    "init_scale": "Initial weights of implausible scale",
    "output_activation_derivative_skipped": "The output layer's activation derivative is skipped",
    "hidden_activation_derivative_skipped": "The hidden error misses the activation derivative",
    "train_loop_wrong": "train() is not the documented SGD loop",
    "loss_backward_modifies_cache": "A loss's backward overwrites what its forward cached",
    "softmax_elementwise_derivative_on_output": "Sigmoid-style derivative of an already-softmaxed output",
    "binary_cross_entropy_on_softmax": "Binary cross-entropy applied to softmax outputs",
    "mse_half_sum": "MSE written as 1/2 * sum of squares",
}
ENTRIES = {e.id: e for e in CATALOGUE}


def test_ids_and_titles_are_pinned():
    assert {e.id: e.title for e in CATALOGUE} == TITLES


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: e.id)
def test_message_says_what_was_called_expected_observed_and_the_fix(entry):
    lines = entry.message.split("\n")
    heads = [line.split(":")[0] for line in lines]
    # The fix's code part, when there is one, is its own last line (shown at hint level "code" only).
    assert heads in (["Called", "Expected", "Observed", "Fix"], ["Called", "Expected", "Observed", "Fix", "Fix (code)"])
    assert all(len(line) > len("Expected: ") + 10 for line in lines)


def test_two_messages_in_full():
    assert ENTRIES["gradient_sign_flipped"].message == (
        "Called: the backward pass named in the check above.\n"
        "Expected: the gradient of the loss with respect to that quantity.\n"
        "Observed: every element has the reference's magnitude and the opposite sign: this is the gradient "
        "of -loss, and `p -= lr * grad` would climb the loss.\n"
        "Fix: look for a reversed difference (target - pred instead of pred - target, target - softmax "
        "instead of softmax - target) or a stray minus sign.")
    assert ENTRIES["softmax_jacobian_diagonal"].message == (
        "Called: Softmax().jacobian(z), or Softmax().backward(g) after forward(z).\n"
        "Expected: J[i] = diag(s_i) - s_i s_i^T: every output depends on every logit, so the off-diagonal "
        "entries -s_i s_j are not zero.\n"
        "Observed: only the diagonal s * (1 - s), as if softmax were elementwise like the sigmoid.\n"
        "Fix: keep the off-diagonal terms -s_i s_j: every output depends on every logit.\n"
        "Fix (code): backward = s * (g - np.sum(g * s, axis=1, keepdims=True)); jacobian = np.diag(s_i) - "
        "np.outer(s_i, s_i) for each row.")


def test_every_entry_is_attached_to_registered_checks():
    registered = {spec.id for spec in collect()}
    for entry in CATALOGUE:
        assert entry.checks and set(entry.checks) <= registered, entry.id


def _obs(yours, reference, **inputs):
    return Observation(yours=yours, reference=reference, inputs=inputs)


def test_hidden_twin_shares_its_public_entries():
    g = np.arange(1.0, 13.0).reshape(3, 4)
    found = diagnose("gradients.no_accumulation.hidden", "failed",
                     {"dW_twice": _obs(2 * g, g, x=np.ones((5, 3)), g=np.ones((5, 4)))})
    assert [d.id for d in found] == ["gradient_accumulated"]
    assert found[0].evidence == "yours = 2.000 x reference on 12/12 elements after two identical backward calls"


def test_nothing_fires_without_observations_or_on_unknown_checks():
    assert diagnose("gradients.step", "error", {}) == []
    assert diagnose("no.such.check", "failed", {"grad": _obs(1.0, 2.0)}) == []


def test_a_detector_missing_an_input_is_silent_not_an_error():
    # A gradient observation without the "target" input the loss detectors need.
    found = diagnose("gradients.mse_backward", "failed", {"grad": _obs(np.ones((2, 2)), np.full((2, 2), 2.0))})
    assert [d.id for d in found] == []


def test_sign_flip_tolerates_float32_rounding_but_not_a_different_factor():
    reference = np.linspace(-1, 1, 15).reshape(5, 3) + 0.05
    float32_flip = -reference.astype(np.float32).astype(np.float64)
    found = diagnose("gradients.mse_backward", "failed", {"grad": _obs(float32_flip, reference)})
    assert [d.id for d in found] == ["gradient_sign_flipped"]
    assert found[0].evidence == "yours = -1.000 x reference on 15/15 elements"
    nearly = diagnose("gradients.mse_backward", "failed", {"grad": _obs(-1.01 * reference, reference)})
    assert nearly == []


def test_a_matching_observation_is_never_diagnosed():
    z = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
    e = np.exp(z - z.max(axis=1, keepdims=True))
    s = e / e.sum(axis=1, keepdims=True)
    assert diagnose("forward.softmax", "failed", {"forward": _obs(s.copy(), s, z=z)}) == []


def test_duplicate_ids_are_rejected(monkeypatch):
    import types

    module = types.ModuleType("nngrade.assignments.nn_from_scratch.diagnoses.sign")
    for name in ("a", "b"):
        setattr(module, name, diagnosis("same", title="T", checks=("forward.softmax",), message="M")(lambda o: None))
    monkeypatch.setitem(__import__("sys").modules, "nngrade.assignments.nn_from_scratch.diagnoses.sign", module)
    from nngrade.diagnoses import catalogue

    catalogue._catalogue.cache_clear()
    try:
        with pytest.raises(ValueError, match="duplicate diagnosis ids: \\['same'\\]"):
            load_catalogue()
    finally:
        catalogue._catalogue.cache_clear()


def test_docs_table_lists_every_entry_with_its_title():
    text = (Path(__file__).resolve().parents[2] / "docs" / "DIAGNOSES.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+?) \|", text, flags=re.M))
    assert rows == TITLES


def test_nothing_is_diagnosed_without_observations():
    """The engine skips the catalogue when a check recorded nothing (e.g. MNIST not run)."""
    for entry in CATALOGUE:
        for check_id in entry.checks:
            for status in ("failed", "error", "not_run", "timeout"):
                assert diagnose(check_id, status, {}) == []
