"""0-point notes: deviations from a convention and floating-point warnings are reported, never charged."""
from __future__ import annotations

from pathlib import Path

from corpus.harness import grade_quickly
from submissions import mutated_source, write_submission

from nngrade.engine.grading import floating_point_notes

#: The reference's overflow-free sigmoid, replaced by the textbook one that overflows for x < -709.
SIGMOID_CORE = "y = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)"


def test_floating_point_warning_lines_become_notes():
    output = ("/submission/nngrade_submission.py:33: RuntimeWarning: overflow encountered in exp\n"
              "  return 1.0/(1.0+np.exp(-z))\n")
    notes = floating_point_notes(output)
    assert notes == ["Note (no points lost): your code raised a floating-point warning (nngrade_submission.py:33: "
                     "overflow encountered in exp); the values were judged as returned, and a form that cannot "
                     "overflow or divide by zero avoids it."]
    assert floating_point_notes("print output, no warning\n") == []


def test_an_overflowing_but_exact_sigmoid_passes_with_a_note(tmp_path: Path):
    source = mutated_source((SIGMOID_CORE, "y = (1.0 / (1.0 + np.exp(-x))).astype(x.dtype, copy=False)"))
    report = grade_quickly(write_submission(tmp_path, "textbook_sigmoid.py", source))
    check = next(c for c in report.checks if c.id == "forward.sigmoid_extreme")
    assert check.status == "passed" and check.points == check.max_points
    assert "floating-point warning" in check.message and "overflow encountered in exp" in check.message


def test_a_generator_for_parameters_and_a_plain_mean_history_cost_nothing(tmp_path: Path):
    source = mutated_source(
        ("value = loss.forward(network.forward(X[idx]), Y[idx])",
         "value = loss.forward(network.forward(X[idx]), Y[idx])\n            values.append(value)"),
        ("        total = 0.0\n", "        total = 0.0\n        values = []\n"),
        ("history.append(total / n)", "history.append(sum(values) / len(values))"))
    source = source.replace("    def parameters(self):", "    def parameters(self):\n        yield from self._pairs()\n\n"
                                                        "    def _pairs(self):", 1)
    report = grade_quickly(write_submission(tmp_path, "conventions.py", source))
    lost = {c.id for c in report.checks if c.points < c.max_points and c.group != "mnist"}
    assert lost == set()
    train = next(c for c in report.checks if c.id == "xor.train_function")
    assert "the plain mean of the batch losses" in train.message
