"""Notebooks are graded the way Jupyter runs them: cell by cell, in one namespace."""
from __future__ import annotations

import pytest

from nngrade.engine.grading import grade
from nngrade.render import validate_report

from ._support import reference_cells, write_notebook

ONLY = "api or forward or jacobians or gradients"


@pytest.fixture(scope="module")
def reference_scores(tmp_path_factory):
    path = write_notebook(tmp_path_factory.mktemp("ref") / "clean.ipynb", reference_cells())
    report = grade(path, only=ONLY)
    assert report.score > 0 and all(c.status in ("passed", "not_run") for c in report.checks), [
        (c.id, c.message) for c in report.checks if c.status not in ("passed", "not_run")]
    return report


def test_failing_slow_and_future_cells_cost_nothing_when_the_definitions_are_right(tmp_path, reference_scores):
    layers, losses, network = reference_cells()
    cells = [
        "import numpy as np\nprint('exploring', undefined_name)",  # NameError: reported, skipped
        layers,
        "from __future__ import annotations\nx = Sigmoid().forward(np.zeros(3))",  # a later __future__
        "epochs = 0\nwhile True:\n    epochs += 1\n",  # a training loop longer than the import deadline
        losses,
        network,  # starts with its own `from __future__ import annotations`
        "if __name__ == '__main__':\n    raise SystemExit('a main block must not run')",
    ]
    path = write_notebook(tmp_path / "hw.ipynb", cells)

    report = grade(path, only=ONLY)

    validate_report(report.to_dict())
    assert report.score == reference_scores.score == reference_scores.max_score
    warnings = "\n".join(report.submission.warnings)
    assert "hw.ipynb cell 2, line 2: NameError: name 'undefined_name' is not defined" in warnings
    assert "the cell was skipped and the later cells still ran" in warnings
    assert "hw.ipynb cell 5, line " in warnings and "stopped after" in warnings
    assert "exploring" not in report.output  # the failing print never ran
    assert "main block" not in warnings


def test_a_failing_cell_shows_only_the_students_frames_labelled_by_cell(tmp_path):
    layers, losses, network = reference_cells()
    cells = [layers, "def explode(v):\n    return v / missing\n", "explode(3)", losses, network]
    path = write_notebook(tmp_path / "hw.ipynb", cells)

    report = grade(path, only="api")

    message = next(w for w in report.submission.warnings if "cell 4" in w)
    assert message.startswith("hw.ipynb cell 4, line 1: NameError: name 'missing' is not defined")
    assert "hw.ipynb, cell 4, line 1, in <module>" in message
    assert "hw.ipynb, cell 3, line 2, in explode" in message and "return v / missing" in message
    assert "worker.py" not in message and "cells.py" not in message and "/nngrade/" not in message
    assert report.checks[0].status == "passed"
