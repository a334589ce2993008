"""The report JSON Schema and validate_report's cross-field rules."""
from __future__ import annotations

import copy

import pytest
from jsonschema import Draft202012Validator

from nngrade.render.validate import (
    ReportValidationError,
    format_path,
    load_schema,
    validate_report,
)
from nngrade.results import SCHEMA_VERSION, STATUSES, Report


def test_schema_is_versioned_draft_2020_12():
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "1.0" in schema["$id"]
    assert schema["properties"]["schema_version"] == {"const": SCHEMA_VERSION}
    assert schema["$defs"]["check"]["properties"]["status"]["enum"] == list(STATUSES)


def test_load_schema_returns_independent_copies():
    first = load_schema()
    first["required"].clear()
    assert "checks" in load_schema()["required"]


def test_every_report_field_is_required(report):
    schema = load_schema()
    d = report.to_dict()
    assert set(schema["required"]) == set(d)
    assert set(schema["$defs"]["check"]["required"]) == set(d["checks"][0])
    assert set(schema["$defs"]["submission"]["required"]) == set(d["submission"])
    assert set(schema["$defs"]["diagnosis"]["required"]) == set(d["checks"][1]["diagnoses"][0])
    assert set(schema["$defs"]["totals"]["required"]) == set(d["totals"])


def test_sample_report_is_valid_and_round_trips(report):
    d = report.to_dict()
    validate_report(d)
    assert Report.from_dict(d).to_dict() == d


def test_free_form_data_and_sandbox_features_are_allowed(report):
    d = report.to_dict()
    d["checks"][0]["data"] = {"anything": {"nested": [1, None, "x"]}}
    d["environment"]["sandbox"]["features"]["seccomp_whatever"] = False
    validate_report(d)


def _problems(d) -> list[tuple[str, str]]:
    with pytest.raises(ReportValidationError) as info:
        validate_report(d)
    return info.value.problems


def _mutated(report, mutate):
    d = copy.deepcopy(report.to_dict())
    mutate(d)
    return d


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (lambda d: d["checks"][0].update(status="bogus"), "checks[0].status", "'bogus' is not one of"),
        (lambda d: d["checks"][1].update(points=-1), "checks[1].points", "-1 is less than the minimum of 0"),
        (lambda d: d.pop("checks"), "(root)", "'checks' is a required property"),
        (lambda d: d["checks"][2].update(visibility="secret"), "checks[2].visibility", "'secret' is not one of"),
        (lambda d: d.update(mode="exam"), "mode", "'exam' is not one of ['grade', 'check']"),
        (lambda d: d.update(schema_version="2.0"), "schema_version", "'1.0' was expected"),
        (lambda d: d.update(extra=1), "(root)", "('extra' was unexpected)"),
        (lambda d: d["checks"][0].update(color="red"), "checks[0]", "('color' was unexpected)"),
        (lambda d: d["environment"]["sandbox"].update(level="docker"), "environment.sandbox.level", "'docker'"),
        (lambda d: d["environment"]["sandbox"]["features"].update(net="yes"), "environment.sandbox.features.net",
         "'yes' is not of type 'boolean'"),
        (lambda d: d["environment"].pop("numpy"), "environment", "'numpy' is a required property"),
        (lambda d: d["checks"][1]["diagnoses"][0].pop("evidence"), "checks[1].diagnoses[0]",
         "'evidence' is a required property"),
        (lambda d: d["submission"].update(kind="zip"), "submission.kind", "'zip' is not one of"),
        (lambda d: d["submission"].update(sha256="XYZ"), "submission.sha256", "does not match"),
        (lambda d: d.update(duration=None), "duration", "None is not of type 'number'"),
        (lambda d: d["totals"].update(passed=-2), "totals.passed", "-2 is less than the minimum of 0"),
    ],
)
def test_schema_violations_name_the_field(report, mutate, path, fragment):
    problems = _problems(_mutated(report, mutate))
    assert any(p == path and fragment in why for p, why in problems), problems


def test_error_message_lists_path_and_reason(report):
    d = _mutated(report, lambda d: d["checks"][0].update(status="bogus"))
    with pytest.raises(ReportValidationError) as info:
        validate_report(d)
    assert str(info.value) == (
        "invalid report (1 problem):\n"
        "  - checks[0].status: 'bogus' is not one of ['passed', 'failed', 'error', 'timeout', 'not_run']"
    )
    assert info.value.paths == ["checks[0].status"]
    assert isinstance(info.value, ValueError)


def test_points_above_max_points_is_rejected(report):
    d = _mutated(report, lambda d: d["checks"][0].update(points=3))
    d["totals"]["score"] = 3  # keep totals consistent so only the points rule fires
    assert _problems(d) == [("checks[0].points", "3 exceeds max_points 2 (check 'api.functions')")]


def test_duplicate_check_ids_are_rejected(report):
    d = _mutated(report, lambda d: d["checks"][1].update(id="api.functions"))
    assert _problems(d) == [("checks[1].id", "duplicate check id 'api.functions' (first at checks[0])")]


def test_totals_must_agree_with_checks(report):
    d = _mutated(report, lambda d: d["totals"].update(score=5, failed=0))
    assert _problems(d) == [
        ("totals.score", "5 does not equal the sum over checks (2)"),
        ("totals.failed", "0 does not match the 2 checks with that status"),
    ]


def test_many_problems_are_capped_in_the_message(report):
    d = report.to_dict()
    for check in d["checks"]:
        check["status"] = "bogus"
        check["visibility"] = "nope"
    with pytest.raises(ReportValidationError) as info:
        validate_report(d)
    assert len(info.value.problems) == 12
    assert str(info.value).startswith("invalid report (12 problems):\n")
    assert str(info.value).endswith("\n  ... and 2 more")


def test_non_dict_is_rejected():
    with pytest.raises(ReportValidationError, match=r"\(root\): expected an object, got list"):
        validate_report([])


def test_format_path():
    assert format_path([]) == "(root)"
    assert format_path(["checks", 3, "diagnoses", 0, "id"]) == "checks[3].diagnoses[0].id"
