"""Canonical JSON rendering."""
from __future__ import annotations

import json

import numpy as np
import pytest

from nngrade.render.json_report import render_json, report_dict
from nngrade.render.validate import ReportValidationError, validate_report
from nngrade.results import Report


def test_canonical_json_is_sorted_indented_and_complete(report, sentinel, hidden_print):
    text = render_json(report)
    assert text.startswith('{\n  "checks": [\n    {\n      "data": {},')
    assert not text.endswith("\n")
    d = json.loads(text)
    validate_report(d)
    assert list(d) == sorted(d)
    assert d["totals"] == {
        "score": 2, "max_score": 16, "passed": 1, "failed": 2, "error": 1, "timeout": 1, "not_run": 1,
    }
    # Instructors get everything, including hidden expected values and printing.
    assert sentinel in text
    assert hidden_print in text
    assert d["checks"][2]["data"] == {"expected_dW": [0.7310585786]}


def test_non_finite_data_becomes_null(report):
    text = render_json(report)
    assert "NaN" not in text and "Infinity" not in text
    curves = json.loads(text)["checks"][3]["data"]["loss_curves"]
    assert curves == [[0.69, 0.5, None]]


def test_infinities_and_numpy_values_in_data_are_converted(report):
    report.checks[0].data = {
        "curve": np.array([1.0, np.inf, -np.inf, np.nan]),
        "seeds": np.int64(3),
        "ok": np.bool_(True),
        "pair": (1, 2.5),
    }
    d = json.loads(render_json(report))
    assert d["checks"][0]["data"] == {"curve": [1.0, None, None, None], "seeds": 3, "ok": True, "pair": [1, 2.5]}


def test_non_finite_duration_is_rejected_naming_the_field(report):
    report.duration = float("nan")
    with pytest.raises(ReportValidationError, match=r"  - duration: None is not of type 'number'"):
        render_json(report)


def test_invalid_report_is_not_rendered(report):
    report.mode = "exam"
    with pytest.raises(ReportValidationError, match=r"mode: 'exam' is not one of"):
        render_json(report)


def test_student_view_redacts_hidden_checks_only(report, sentinel, hidden_print):
    d = report_dict(report, student_view=True)
    text = render_json(report, student_view=True)
    assert sentinel not in text and hidden_print not in text and "0.7310585786" not in text
    hidden = d["checks"][2]
    assert hidden["message"] == "Hidden test: 0/2 points"
    assert (hidden["output"], hidden["diagnoses"], hidden["data"]) == ("", [], {})
    assert (hidden["status"], hidden["points"], hidden["max_points"]) == ("failed", 0, 2)
    # Public checks are untouched.
    assert d["checks"][1] == json.loads(render_json(report))["checks"][1]


def test_rendering_does_not_mutate_the_report(report):
    before = report.to_dict()
    render_json(report, student_view=True)
    after = report.to_dict()
    assert json.dumps(before, sort_keys=True, default=str) == json.dumps(after, sort_keys=True, default=str)


def test_round_trip_through_json(report):
    d = json.loads(render_json(report))
    assert json.loads(render_json(Report.from_dict(d))) == d
