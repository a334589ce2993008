"""Validation of canonical JSON reports against ``graders/schema/report.schema.json``.

The JSON Schema covers structure and types. :func:`validate_report` adds the
cross-field rules a schema cannot express: each check's ``points`` is at most its
``max_points``, check ids are unique, and ``totals`` agree with the checks.
"""
from __future__ import annotations

import copy
import functools
import json
import math
from importlib import resources
from typing import TYPE_CHECKING, Any

from nngrade.results import STATUSES

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

#: Package-relative location of the report schema.
SCHEMA_RESOURCE = ("nngrade", "schema/report.schema.json")

#: Absolute tolerance when comparing ``totals`` with the sum over checks.
TOTALS_TOLERANCE = 1e-6

#: How many problems a :class:`ReportValidationError` message lists at most.
MAX_LISTED_ERRORS = 10


class ReportValidationError(ValueError):
    """A report does not satisfy the report schema or its cross-field rules.

    Parameters
    ----------
    problems : list of (str, str)
        ``(path, explanation)`` pairs; ``path`` looks like ``checks[2].status``
        (``(root)`` for the top-level object).

    Attributes
    ----------
    problems : list of (str, str)
        The pairs given, in a stable order.
    paths : list of str
        Just the paths, handy for tests and tooling.
    """

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = list(problems)
        self.paths = [path for path, _ in self.problems]
        lines = [f"  - {path}: {why}" for path, why in self.problems[:MAX_LISTED_ERRORS]]
        hidden = len(self.problems) - MAX_LISTED_ERRORS
        if hidden > 0:
            lines.append(f"  ... and {hidden} more")
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"invalid report ({len(self.problems)} {noun}):\n" + "\n".join(lines))


def load_schema() -> dict[str, Any]:
    """Return the report JSON Schema shipped as package data.

    Returns
    -------
    dict
        A fresh copy of the parsed schema (callers may modify it).
    """
    return copy.deepcopy(_schema())


@functools.lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    package, name = SCHEMA_RESOURCE
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


@functools.lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # imported on use: text, Gradescope and PrairieLearn need no schema

    schema = _schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def format_path(parts) -> str:
    """Render a JSON path (sequence of keys and indices) as ``checks[2].status``.

    Parameters
    ----------
    parts : iterable of str or int
        Keys and list indices from the document root.

    Returns
    -------
    str
        Dotted path with ``[i]`` for indices, or ``"(root)"`` when empty.
    """
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


def schema_problems(d: dict[str, Any]) -> list[tuple[str, str]]:
    """List every JSON Schema violation in ``d`` as ``(path, explanation)`` pairs.

    Parameters
    ----------
    d : dict
        A candidate ``Report.to_dict()``.

    Returns
    -------
    list of (str, str)
        Sorted by path; empty when ``d`` matches the schema.
    """
    errors = sorted(_validator().iter_errors(d), key=lambda e: [str(p) for p in e.absolute_path])
    return [(format_path(e.absolute_path), e.message) for e in errors]


def consistency_problems(d: dict[str, Any]) -> list[tuple[str, str]]:
    """List violations of the rules the schema cannot express.

    Assumes ``d`` already matches the schema.

    Parameters
    ----------
    d : dict
        A schema-valid ``Report.to_dict()``.

    Returns
    -------
    list of (str, str)
        ``(path, explanation)`` pairs; empty when consistent.
    """
    problems: list[tuple[str, str]] = []
    checks = d["checks"]
    seen: dict[str, int] = {}
    for i, check in enumerate(checks):
        if check["points"] > check["max_points"]:
            problems.append((
                f"checks[{i}].points",
                f"{check['points']} exceeds max_points {check['max_points']} (check {check['id']!r})",
            ))
        if check["id"] in seen:
            problems.append((
                f"checks[{i}].id",
                f"duplicate check id {check['id']!r} (first at checks[{seen[check['id']]}])",
            ))
        seen.setdefault(check["id"], i)

    totals = d["totals"]
    expected = {
        "score": sum(c["points"] for c in checks),
        "max_score": sum(c["max_points"] for c in checks),
    }
    for key, want in expected.items():
        if not math.isclose(totals[key], want, rel_tol=0.0, abs_tol=TOTALS_TOLERANCE):
            problems.append((f"totals.{key}", f"{totals[key]} does not equal the sum over checks ({want:g})"))
    for status in STATUSES:
        want = sum(c["status"] == status for c in checks)
        if totals[status] != want:
            problems.append((f"totals.{status}", f"{totals[status]} does not match the {want} checks with that status"))
    return problems


def validate_report(d: dict[str, Any]) -> None:
    """Check a canonical report dict; raise if it is not a valid version-1.0 report.

    Parameters
    ----------
    d : dict
        A candidate ``Report.to_dict()``.

    Raises
    ------
    ReportValidationError
        Listing every problem with the path of the failing field, e.g.
        ``checks[0].status: 'bogus' is not one of [...]``.
    """
    if not isinstance(d, dict):
        raise ReportValidationError([("(root)", f"expected an object, got {type(d).__name__}")])
    problems = schema_problems(d)
    if not problems:
        problems = consistency_problems(d)
    if problems:
        raise ReportValidationError(problems)
