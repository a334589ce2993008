"""The report schema is found through the installed package, from any working directory."""
from __future__ import annotations

import subprocess
import sys

from submissions import reference_source


def test_schema_loads_outside_the_repository(tmp_path):
    # A folder without the checkout's graders/ beside it, as for `nngrade grade --format json` run anywhere.
    code = ("import json; from nngrade.render.validate import load_schema; "
            "print(json.dumps(sorted(load_schema()['properties'])))")
    completed = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                               timeout=60)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "checks" in completed.stdout and "totals" in completed.stdout


def test_text_grade_of_a_py_file_imports_no_schema_notebook_or_plotting_library(tmp_path):
    # `nngrade grade x.py --format text` validates no JSON, reads no notebook and draws nothing.
    submission = tmp_path / "submission.py"
    submission.write_text(reference_source())
    (tmp_path / "no-mnist").mkdir()
    completed = subprocess.run([sys.executable, "-X", "importtime", "-m", "nngrade", "grade", str(submission),
                                "--format", "text", "--mnist-dir", str(tmp_path / "no-mnist")],
                               cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "Sigmoid" in completed.stdout, completed.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in completed.stderr.splitlines()
                if line.startswith("import time:")}
    assert "nngrade.engine.grading" in imported  # the listing is real
    assert not {"jsonschema", "nbformat", "matplotlib", "rich"} & imported
