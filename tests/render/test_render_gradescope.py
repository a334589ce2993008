"""Gradescope results.json rendering."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from nngrade.render.gradescope import gradescope_stdout, render_gradescope
from nngrade.results import CheckResult, SubmissionInfo

GRADESCOPE_SCHEMA = json.loads(Path(__file__).with_name("gradescope_results.schema.json").read_text())


def _assert_gradescope_valid(results: dict) -> None:
    validator = Draft202012Validator(GRADESCOPE_SCHEMA)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(results)]
    assert errors == []


def test_test_schema_rejects_malformed_results(report):
    # The structural schema used below must itself be able to fail.
    results = render_gradescope(report)
    results["tests"][0]["status"] = "error"
    results["tests"][1]["max_points"] = 3
    del results["execution_time"]
    validator = Draft202012Validator(GRADESCOPE_SCHEMA)
    messages = sorted(e.message for e in validator.iter_errors(results))
    assert messages == [
        "'error' is not one of ['passed', 'failed']",
        "'execution_time' is a required property",
        "Additional properties are not allowed ('max_points' was unexpected)",
    ]


def test_results_match_gradescope_structure(report):
    results = render_gradescope(report)
    _assert_gradescope_valid(results)
    json.dumps(results, allow_nan=False)


def test_scores_sum_and_statuses(report):
    results = render_gradescope(report)
    tests = [t for t in results["tests"] if "score" in t]
    assert results["score"] == sum(t["score"] for t in tests) == 2
    assert sum(t["max_score"] for t in tests) == 16
    assert [(t["number"], t["status"]) for t in tests] == [
        ("1.1", "passed"), ("2.1", "failed"), ("3.1", "failed"),
        ("3.2", "failed"), ("4.1", "failed"), ("5.1", "failed"),
    ]
    assert [t["tags"] for t in tests] == [["api"], ["forward"], ["gradients"], ["gradients"], ["xor"], ["mnist"]]
    assert results["execution_time"] == 61.235


def test_partial_credit_scores(report_factory):
    checks = [
        CheckResult(id="a", name="A", group="g", points=1.5, max_points=2, status="failed"),
        CheckResult(id="b", name="B", group="g", points=0.25, max_points=0.25, status="passed"),
    ]
    results = render_gradescope(report_factory(checks=checks))
    _assert_gradescope_valid(results)
    assert results["score"] == 1.75
    assert results["tests"][0]["output"].startswith("Result: FAIL (1.5/2 points)")


def test_visibility_mapping_and_defaults(report):
    results = render_gradescope(report)
    by_name = {t["name"]: t for t in results["tests"]}
    assert by_name["Dense backward (hidden batch)"]["visibility"] == "after_published"
    assert by_name["Hidden tests (total)"]["visibility"] == "after_published"
    assert {t["visibility"] for n, t in by_name.items()
            if n not in ("Dense backward (hidden batch)", "Hidden tests (total)")} == {"visible"}
    assert results["stdout_visibility"] == "hidden"

    custom = render_gradescope(report, hidden_visibility="after_due_date", stdout_visibility="after_published")
    assert custom["tests"][2]["visibility"] == "after_due_date"
    assert custom["stdout_visibility"] == "after_published"
    _assert_gradescope_valid(custom)


def test_unknown_visibility_is_rejected(report):
    with pytest.raises(ValueError, match=r"hidden_visibility must be one of .*got 'later'"):
        render_gradescope(report, hidden_visibility="later")


def test_hidden_check_reveals_only_points(report, sentinel, hidden_print):
    results = render_gradescope(report)
    text = json.dumps(results)
    assert sentinel not in text
    assert "0.7310585786" not in text
    assert hidden_print not in text
    assert "Gradient sign flipped" not in text
    hidden = results["tests"][2]
    assert hidden["output"] == "Hidden test: 0/2 points"


def test_public_failure_output_carries_message_and_diagnosis(report):
    output = render_gradescope(report)["tests"][1]["output"]
    assert output == (
        "Result: FAIL (0/3 points)\n"
        "Called sigmoid(z) on 6 inputs; expected the reference within 1e-6;\n"
        "saw max error 0.46.\n"
        "\n"
        "Likely cause: Sign flipped in the exponent\n"
        "You computed 1/(1+exp(z)) instead of 1/(1+exp(-z)).\n"
        "Evidence: yours = 1 - reference on 6/6 inputs\n"
        "\n"
        "--- Printed by your code during this check (not part of the result) ---\n"
        "debug: z shape (6,)"
    )


def test_other_statuses_are_labelled(report):
    outputs = {t["name"]: t["output"] for t in render_gradescope(report)["tests"]}
    assert outputs["XOR training converges"] == "Result: TIMEOUT (0/3 points)\nTraining did not finish within 60 s."
    assert outputs["MNIST accuracy"] == "Result: NOT RUN (0/4 points)\nSkipped: XOR training timed out."
    assert outputs["Dense backward"].startswith("Result: ERROR (0/2 points)\ndense_backward raised ValueError")
    assert outputs["Required functions exist"] == "Result: PASS (2/2 points)\nAll 6 required functions found."


def test_top_level_output_hides_total_but_lists_loader_notes(report):
    assert render_gradescope(report)["output"] == (
        "nngrade 0.1.0\n"
        "Public tests: 2/14 points (1 passed, 1 failed, 1 error, 1 timeout, 1 not run)\n"
        "Hidden tests: 1 test worth 2 points (details are not shown)\n"
        "\n"
        "Notes from loading your submission:\n"
        "  - dropped 1 IPython magic line: %matplotlib inline\n"
        "\n"
        "--- Printed by your code at import time (not part of the result) ---\n"
        "Loading data..."
    )


def test_unloadable_submission_is_explained(report_factory):
    checks = [CheckResult(id="a", name="A", group="api", points=0, max_points=2, status="not_run")]
    sub = SubmissionInfo(id="bob.py", path="bob.py", kind="unknown", error="SyntaxError: invalid syntax (line 3)")
    results = render_gradescope(report_factory(submission=sub, checks=checks, output=""))
    _assert_gradescope_valid(results)
    assert results["score"] == 0
    assert "Your submission could not be loaded:\n  SyntaxError: invalid syntax (line 3)" in results["output"]


def test_long_printing_is_truncated(report):
    report.checks[1].output = "".join(f"line {i}\n" for i in range(100))
    output = render_gradescope(report)["tests"][1]["output"]
    assert "line 39\n[... 60 more lines not shown]" in output
    assert "line 40" not in output


def test_no_checks(report_factory):
    results = render_gradescope(report_factory(checks=[]))
    _assert_gradescope_valid(results)
    assert results["score"] == 0 and results["tests"] == []


def test_stdout_helper_labels_printing(report, hidden_print):
    everything = gradescope_stdout(report)
    assert everything == (
        "[submission printed at import]\nLoading data...\n\n"
        "[submission printed during forward.sigmoid]\ndebug: z shape (6,)\n\n"
        f"[submission printed during gradients.hidden_dense]\n{hidden_print}"
    )
    assert hidden_print not in gradescope_stdout(report, include_hidden=False)
