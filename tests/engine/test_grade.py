"""End to end: the reference earns full marks, the template earns nothing, nothing crashes the grader."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from submissions import (
    REFERENCE_DIR,
    mutated_source,
    reference_source,
    write_submission,
)

from nngrade.cli import main
from nngrade.engine.grading import grade
from nngrade.render import render, validate_report

TEMPLATE_DIR = REFERENCE_DIR.parent / "student_template"


def statuses(report):
    return {c.id: c.status for c in report.checks}


def without_timings(report) -> dict:
    d = report.to_dict()
    d["duration"] = 0
    for c in d["checks"]:
        c["duration"] = 0
    return d


@pytest.fixture(scope="module")
def reference_report():
    return grade(REFERENCE_DIR, mode="grade")


def test_reference_scores_full_marks(reference_report):
    validate_report(reference_report.to_dict())
    lost = {c.id: c.message for c in reference_report.checks
            if c.status != "passed" and not (c.group == "mnist" and c.status == "not_run")}
    assert lost == {}
    assert all(c.points == c.max_points for c in reference_report.checks if c.status == "passed")
    assert all(not c.diagnoses for c in reference_report.checks)
    assert any(c.visibility == "hidden" for c in reference_report.checks)


def test_reference_as_a_single_file_scores_full_marks(tmp_path):
    report = grade(write_submission(tmp_path, "nn.py", reference_source()))
    assert [c.id for c in report.checks if c.status not in ("passed", "not_run")] == []


def test_two_runs_are_identical_apart_from_timings(reference_report):
    again = grade(REFERENCE_DIR, mode="grade")
    assert without_timings(again) == without_timings(reference_report)


def test_template_scores_zero_without_crashing():
    report = grade(TEMPLATE_DIR, mode="grade")
    validate_report(report.to_dict())
    assert report.score == 0
    # The API exists (a gate worth 0 points); every check worth points fails or does not run.
    assert {c.status for c in report.checks if c.max_points > 0} <= {"failed", "not_run"}
    softmax = next(c for c in report.checks if c.id == "forward.softmax")
    assert softmax.status == "failed"
    assert softmax.message.startswith("not implemented yet: Softmax.forward: TODO: shift each row by its own maximum")


def test_missing_file_gives_a_complete_report(tmp_path):
    report = grade(tmp_path / "nope.py")
    validate_report(report.to_dict())
    assert report.score == 0 and report.submission.error
    assert statuses(report)["api.conformance"] == "error"


def test_syntax_error_is_reported_with_its_line(tmp_path):
    path = write_submission(tmp_path, "broken.py", reference_source() + "\ndef oops(:\n    pass\n")
    report = grade(path)
    validate_report(report.to_dict())
    assert "SyntaxError" in report.submission.error and "line" in report.submission.error
    assert report.score == 0


def test_import_time_exit_and_fake_json_earn_nothing(tmp_path):
    fake = json.dumps({"score": 100, "tests": [{"score": 10, "max_score": 10, "status": "passed"}]})
    path = write_submission(tmp_path, "fake.py", reference_source() +
                            f"\nprint({fake!r})\nimport sys\nsys.exit(0)\n")
    report = grade(path, mode="grade")
    validate_report(report.to_dict())
    assert report.score == 0
    assert statuses(report)["api.conformance"] == "error"


def test_crash_in_one_method_costs_only_the_checks_that_call_it(tmp_path):
    source = mutated_source(("        saved = self.s\n",
                             "        import ctypes; ctypes.string_at(0)\n        saved = self.s\n"))
    report = grade(write_submission(tmp_path, "segv.py", source))
    validate_report(report.to_dict())
    s = statuses(report)
    assert s["jacobians.softmax_jacobian"] == "error"
    assert "SIGSEGV" in next(c.message for c in report.checks if c.id == "jacobians.softmax_jacobian")
    assert s["forward.softmax"] == "passed" and s["xor.softmax_ce"] == "passed"


def test_infinite_loop_times_out_and_grading_goes_on(tmp_path):
    source = mutated_source((
        "        self.diff = pred - as_float_array(target)",
        "        while True:\n            pass\n        self.diff = pred - as_float_array(target)",
    ))
    config_path = write_submission(tmp_path, "fast.toml", "[limits]\ncall_timeout = 1.0\n")
    report = grade(write_submission(tmp_path, "loop.py", source), config_path=config_path)
    validate_report(report.to_dict())
    s = statuses(report)
    assert s["forward.mse"] == "timeout"
    mse = next(c for c in report.checks if c.id == "forward.mse")
    assert mse.message == ("MSELoss.forward(): did not finish within 1 s; the worker was killed. "
                           "Look for an infinite loop or a much slower computation than needed.")
    assert s["forward.softmax"] == "passed" and s["xor.softmax_ce"] == "passed"


def test_student_precheck_hides_hidden_checks_and_exit_code(tmp_path):
    source = mutated_source(("return (self.probs - self.target) / self.probs.shape[0]",
                             "return (self.target - self.probs) / self.probs.shape[0]"))
    path = write_submission(tmp_path, "ascent.py", source)
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert ".hidden" not in result.output and "hidden inputs" not in result.output
    assert "gradients.softmax_ce_backward" in result.output
    graded = grade(path, mode="grade")
    hidden_values = [c.message for c in graded.checks if c.visibility == "hidden" and c.status == "failed"]
    assert hidden_values, "the hidden twin of the gradient check should fail too"
    for message in hidden_values:
        for line in message.splitlines():
            if line.strip().startswith("[") and " vs " in line:  # a hidden expected value
                assert line.strip() not in result.output


def test_cli_grade_writes_each_format(tmp_path):
    runner = CliRunner()
    for fmt in ("json", "gradescope", "prairielearn", "text"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(main, ["grade", str(REFERENCE_DIR), "--format", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.output
        text = out.read_text()
        if fmt != "text":
            json.loads(text)
    assert json.loads((tmp_path / "report.prairielearn").read_text())["score"] > 0.9


def test_reference_passes_the_precheck(monkeypatch, tmp_path):
    config = write_submission(tmp_path, "no_mnist.toml", '[checks]\n"mnist.accuracy" = { points = 0 }\n')
    result = CliRunner().invoke(main, ["check", str(REFERENCE_DIR), "--config", str(config)])
    assert "FAIL" not in result.output and "ERROR" not in result.output
    text = render(grade(REFERENCE_DIR, mode="check"), "text", student_view=True)
    assert "hidden inputs" not in text


def test_bundled_example_loses_only_the_softmax_derivative_checks():
    report = grade(REFERENCE_DIR.parent / "fixtures" / "submissions" / "diagonal_softmax_jacobian.py")
    validate_report(report.to_dict())
    lost = {c.id.removesuffix(".hidden") for c in report.checks
            if c.status != "passed" and c.group != "mnist"}
    assert lost == {"jacobians.softmax_jacobian", "jacobians.softmax_backward"}
    jacobian = next(c for c in report.checks if c.id == "jacobians.softmax_jacobian")
    assert [d.id for d in jacobian.diagnoses] == ["softmax_jacobian_diagonal"]
