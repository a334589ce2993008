"""One unit, one verdict, and no vacuous points: a bug costs only its own unit's checks; doing nothing earns 0.

Each test plants one bug in the reference (or grades a do-nothing submission)
and names the checks that must still pass or must earn nothing. Two XOR seeds
(tests/corpus/fast.toml).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from corpus.broken import CE_FORWARD, LINEAR_DW, MSE_BACKWARD, SCE_BACKWARD, SIGMOID_BACKWARD
from corpus.harness import FAST_CONFIG, grade_quickly, lost_points
from submissions import mutated_source, write_submission

ZEROS = Path(__file__).resolve().parent.parent / "corpus" / "degenerate" / "zeros_everywhere.py"


def _grade(tmp_path, *replacements):
    return grade_quickly(write_submission(tmp_path, "planted.py", mutated_source(*replacements)),
                         config_path=FAST_CONFIG)


def test_a_submission_returning_zeros_everywhere_earns_nothing():
    report = grade_quickly(ZEROS, config_path=FAST_CONFIG)
    earned = {c.id: c.points for c in report.checks if c.points > 0}
    assert earned == {} and report.score == 0, earned


@pytest.mark.parametrize("bug, loses, keeps", [
    # A wrong Sigmoid derivative: its own check fails; step, train() and the network composition do not.
    ((SIGMOID_BACKWARD, "return as_float_array(grad_y) * y"), {"jacobians.sigmoid_backward"},
     {"gradients.step", "gradients.network_backward", "xor.train_function", "gradients.no_accumulation"}),
    # dW divided by the batch size: the Linear checks fail, accumulation is still judged (and passes).
    ((LINEAR_DW, "self.dW = (self.x.T @ g / g.shape[0]).astype(self.W.dtype, copy=False)"),
     {"jacobians.linear_backward"}, {"gradients.no_accumulation", "gradients.step", "xor.train_function"}),
    # MSE without its factor 2: the MSE gradient check fails, the network composition does not.
    ((MSE_BACKWARD, "return self.diff / self.diff.size"), {"gradients.mse_backward"},
     {"gradients.network_backward", "gradients.step", "xor.train_function"}),
], ids=["sigmoid_backward", "dW_over_n", "mse_without_2"])
def test_a_bug_costs_only_its_own_units_checks(tmp_path, bug, loses, keeps):
    lost = lost_points(_grade(tmp_path, bug))
    assert loses <= lost
    assert not lost & keeps, f"cascaded onto {sorted(lost & keeps)}"


@pytest.mark.parametrize("bug, one_hot_checks, soft_check", [
    ((CE_FORWARD, "return float(np.sum(self.target * np.log(self.probs)) / n)"),
     {"forward.cross_entropy"}, "forward.cross_entropy_soft"),
    ((SCE_BACKWARD, "return self.probs - self.target"),
     {"gradients.softmax_ce_backward"}, "forward.softmax_ce_soft"),
], ids=["ce_missing_minus", "sce_gradient_without_1_over_n"])
def test_a_loss_wrong_on_one_hot_targets_earns_nothing_on_soft_ones_and_is_pointed_there(
        tmp_path, bug, one_hot_checks, soft_check):
    report = _grade(tmp_path, bug)
    lost = lost_points(report)
    assert one_hot_checks | {soft_check, soft_check + ".hidden"} <= lost
    soft = next(c for c in report.checks if c.id == soft_check)
    assert soft.message.startswith("Not judged: on one-hot targets"), soft.message
    assert all(check in soft.message for check in one_hot_checks), soft.message
    assert soft.diagnoses == []  # the one-hot checks carry the diagnosis


def test_a_method_writing_into_its_argument_only_when_its_value_is_wrong_is_not_charged_twice(tmp_path):
    """A wrong Sigmoid derivative computed in place loses its own check; the in-place check notes the write."""
    report = _grade(tmp_path, (SIGMOID_BACKWARD, "grad_y = as_float_array(grad_y)\n        grad_y *= y\n"
                                                 "        return grad_y"))
    lost = lost_points(report)
    assert "jacobians.sigmoid_backward" in lost and "forward.inputs_unchanged" not in lost
    in_place = next(c for c in report.checks if c.id == "forward.inputs_unchanged")
    assert "Sigmoid.backward modified its argument grad_y" in in_place.message, in_place.message
