"""Triage from the command line: missing paths, import failures, what students see."""
from __future__ import annotations

import json

from click.testing import CliRunner
from submissions import REFERENCE_DIR

from nngrade.cli import main
from nngrade.render import validate_report


def test_grading_a_missing_path_exits_non_zero_and_still_writes_a_report(tmp_path):
    target = tmp_path / "report.json"

    result = CliRunner().invoke(main, ["grade", str(tmp_path / "missing.py"), "-o", str(target),
                                       "--only", "api"])

    assert result.exit_code == 2, result.output
    report = json.loads(target.read_text())
    validate_report(report)
    assert "does not exist" in report["submission"]["error"]
    assert "does not exist" in result.output


def test_an_import_failure_has_its_own_status_and_reason(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import numpy as np\nraise RuntimeError('data file not found')\n")

    result = CliRunner().invoke(main, ["grade", str(path), "--only", "api"])

    report = json.loads(result.output)
    assert result.exit_code == 0
    assert report["submission"]["import_error"].startswith("RuntimeError: ")
    assert "data file not found" in report["submission"]["import_error"]
    assert "<frozen" not in report["submission"]["import_error"]


def test_the_student_pre_check_shows_no_sandbox_note_but_verbose_grading_does(tmp_path, monkeypatch):
    from nngrade.engine import grading

    real = grading.grade

    def with_a_note(*args, **kwargs):  # whatever this machine's sandbox says, there is one note more
        report = real(*args, **kwargs)
        report.environment["sandbox"]["notes"].append("The worker runs as root (without capabilities)")
        return report

    monkeypatch.setattr(grading, "grade", with_a_note)
    check = CliRunner().invoke(main, ["check", str(REFERENCE_DIR), "--only", "api"])
    text = CliRunner().invoke(main, ["grade", str(REFERENCE_DIR), "--only", "api", "--format", "text"])
    verbose = CliRunner().invoke(main, ["grade", str(REFERENCE_DIR), "--only", "api", "--format", "text", "-v"])
    as_json = json.loads(CliRunner().invoke(main, ["grade", str(REFERENCE_DIR), "--only", "api"]).output)

    notes = as_json["environment"]["sandbox"]["notes"]
    for note in notes:
        assert note not in check.output and note not in text.output
        assert note in verbose.output
    assert "note:" not in check.output


def test_fontconfig_complaining_about_the_sandbox_is_not_shown_as_the_students_output(tmp_path):
    from nngrade.engine.grading import grade

    path = tmp_path / "plots.py"
    path.write_text(  # what matplotlib's text rendering does under bubblewrap, and a line of the student's
        "import sys\nsys.stderr.write('Fontconfig error: Cannot load default config file: No such file: (null)\\n')\n"
        "print('my own line')\nsys.stderr.write('Fontconfig warning: ignoring UTF-8: not a valid region tag\\n')\n")

    report = grade(path, only="api")

    assert "my own line" in report.output
    assert "Fontconfig" not in report.output
