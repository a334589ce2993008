"""PrairieLearn external-grader results.json rendering."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from nngrade.render.prairielearn import pl_score, render_prairielearn
from nngrade.results import CheckResult, SubmissionInfo

PL_SCHEMA = json.loads(Path(__file__).with_name("prairielearn_results.schema.json").read_text())


def _assert_pl_valid(results: dict) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in Draft202012Validator(PL_SCHEMA).iter_errors(results)]
    assert errors == []


def test_test_schema_rejects_malformed_results(report):
    results = render_prairielearn(report)
    results["score"] = 2
    del results["tests"][0]["max_points"]
    messages = sorted(e.message for e in Draft202012Validator(PL_SCHEMA).iter_errors(results))
    assert messages == ["'max_points' is a required property", "2 is greater than the maximum of 1"]


def test_structure_and_score(report):
    results = render_prairielearn(report)
    _assert_pl_valid(results)
    assert results["gradable"] is True
    assert results["score"] == pytest.approx(2 / 16)
    assert sum(t["points"] for t in results["tests"]) == 2
    assert sum(t["max_points"] for t in results["tests"]) == 16
    assert results["message"] == (
        "Public tests: 2/14 points (1 passed, 1 failed, 1 error, 1 timeout, 1 not run). "
        "1 hidden test worth 2 points (results later)."
    )
    json.dumps(results, allow_nan=False)


@pytest.mark.parametrize(
    ("points", "expected"),
    [((0, 0), 0.0), ((1, 3), 0.333333), ((3, 3), 1.0), ((0.5, 2), 0.25)],
)
def test_pl_score_is_fraction_in_unit_interval(report_factory, points, expected):
    earned, available = points
    checks = [CheckResult(id="a", name="A", group="g", points=earned, max_points=available,
                          status="passed" if earned == available else "failed")]
    report = report_factory(checks=checks)
    assert pl_score(report) == expected
    results = render_prairielearn(report)
    assert results["score"] == expected
    _assert_pl_valid(results)


def test_no_checks_scores_zero(report_factory):
    results = render_prairielearn(report_factory(checks=[]))
    _assert_pl_valid(results)
    assert results["score"] == 0.0 and results["tests"] == []


def test_hidden_check_reveals_only_points(report, sentinel, hidden_print):
    results = render_prairielearn(report)
    text = json.dumps(results)
    assert sentinel not in text and "0.7310585786" not in text and hidden_print not in text
    assert "Gradient sign flipped" not in text
    hidden = next(t for t in results["tests"] if t["name"] == "Dense backward (hidden batch)")
    assert hidden == {
        "name": "Dense backward (hidden batch)",
        "description": "Hidden check (gradients)",
        "points": 0,
        "max_points": 2,
        "message": "Hidden test: 0/2 points",
        "output": "",
    }


def test_public_failure_carries_diagnosis_and_printing(report):
    test = next(t for t in render_prairielearn(report)["tests"] if t["name"] == "Sigmoid forward")
    assert test["message"] == (
        "FAIL: Called sigmoid(z) on 6 inputs; expected the reference within 1e-6;\n"
        "saw max error 0.46.\n"
        "\n"
        "Likely cause: Sign flipped in the exponent\n"
        "You computed 1/(1+exp(z)) instead of 1/(1+exp(-z)).\n"
        "Evidence: yours = 1 - reference on 6/6 inputs"
    )
    assert test["output"] == "debug: z shape (6,)"
    assert test["description"] == "Check forward.sigmoid (forward)"


def test_output_holds_loader_notes_and_import_printing(report):
    assert render_prairielearn(report)["output"] == (
        "Notes from loading your submission:\n"
        "  - dropped 1 IPython magic line: %matplotlib inline\n"
        "\n"
        "Printed by your code at import time (not part of the result):\n"
        "Loading data..."
    )


def test_unloadable_submission_is_not_gradable(report_factory):
    sub = SubmissionInfo(id="bob.py", path="bob.py", kind="unknown", error="SyntaxError: invalid syntax (line 3)")
    checks = [CheckResult(id="a", name="A", group="api", points=0, max_points=2, status="not_run")]
    results = render_prairielearn(report_factory(submission=sub, checks=checks, output=""))
    _assert_pl_valid(results)
    assert results == {
        "gradable": False,
        "format_errors": ["SyntaxError: invalid syntax (line 3)"],
        "message": "Your submission could not be loaded, so it was not graded.",
        "output": "",
    }
