"""PrairieLearn external-grader ``results.json`` rendering.

Follows PrairieLearn's "Grading results" format: ``gradable``, ``score`` in
[0, 1], ``message``, ``output`` and ``tests`` entries with ``name``,
``description``, ``points``, ``max_points``, ``message`` and ``output``. A
submission that could not be loaded at all is reported as not gradable with
``format_errors``, so the student is not charged an attempt; so is one that
loaded but could not be imported (a syntax error, an exception at import time).

Students see everything in this file, so hidden checks are reduced to the
generic ``"Hidden test: x/y points"`` line, exactly as for Gradescope.
PrairieLearn shows results at once and has no release dates, so the
Gradescope visibilities of :class:`~nngrade.render.settings.FeedbackSettings`
map onto what is written: ``visible`` shows a check in full (a hidden check:
its points line), ``after_due_date`` and ``after_published`` show its name and
points only, ``hidden`` leaves it out of ``tests``. The hidden total is in
``message`` only when ``hidden_total = "visible"``; the question's ``score``
always counts every check (PrairieLearn's assessment access rules decide when
students see scores).
"""
from __future__ import annotations

from typing import Any

from nngrade.render._common import (
    STATUS_LABELS,
    diagnosis_lines,
    fmt_points,
    hidden_line,
    late_line,
    numbered_checks,
    points_fraction,
    points_of,
    status_counts_text,
    truncate_text,
)
from nngrade.render.images import Images, data_uri
from nngrade.render.safe import safe_report
from nngrade.render.settings import FeedbackSettings
from nngrade.results import CheckResult, Report, with_hints

#: Caps on captured printing; PrairieLearn limits results.json to 1 MB.
PRINTED_MAX_LINES = 40
PRINTED_MAX_CHARS = 4000


def pl_score(report: Report) -> float:
    """Fraction of available points earned, in [0, 1].

    Parameters
    ----------
    report : Report
        The grading run.

    Returns
    -------
    float
        ``final_score / max_score`` (the score less any late penalty) rounded to 6 decimals and clipped to [0, 1];
        ``0.0`` when no points are available.
    """
    if report.max_score <= 0:
        return 0.0
    return round(min(max(report.final_score / report.max_score, 0.0), 1.0), 6)


def _public_message(check: CheckResult, hints: str) -> str:
    message = with_hints(check.message, hints)
    lines = [f"{STATUS_LABELS[check.status]}: {message}" if message else STATUS_LABELS[check.status]]
    for diagnosis in check.diagnoses:
        lines.append("")
        lines.extend(diagnosis_lines(diagnosis, hints))
    return "\n".join(lines)


def _printed(text: str) -> str:
    if not text.strip():
        return ""
    return truncate_text(text, max_lines=PRINTED_MAX_LINES, max_chars=PRINTED_MAX_CHARS)


def pl_test(check: CheckResult, settings: FeedbackSettings | None = None,
            images: Images | None = None) -> dict[str, Any]:
    """One PrairieLearn test entry.

    Public checks carry their message and diagnoses in ``message`` and what the
    submission printed during the check in ``output``. Hidden checks, and
    public checks whose visibility is not ``visible``, carry only the generic
    points line.

    Parameters
    ----------
    check : CheckResult
        The check to describe.
    settings : FeedbackSettings, optional
        Hint level and visibilities (default: the shipped configuration's).
    images : dict, optional
        Check id -> ``[(label, base64 PNG)]``: a visible public check gets them as ``images``.

    Returns
    -------
    dict
        ``name``, ``description``, ``points``, ``max_points``, ``message``, ``output``
        (and ``images``, a list of ``{label, url}``, when there are pictures).
    """
    settings = settings or FeedbackSettings()
    if check.hidden or settings.visibility(check) != "visible":
        return {
            "name": check.name,
            "description": f"Hidden check ({check.group})" if check.hidden else f"Check {check.id} ({check.group})",
            "points": check.points,
            "max_points": check.max_points,
            "message": hidden_line(check),
            "output": "",
        }
    entry = {
        "name": check.name,
        "description": f"Check {check.id} ({check.group})",
        "points": check.points,
        "max_points": check.max_points,
        "message": _public_message(check, settings.hints),
        "output": _printed(check.output),
    }
    pictures = (images or {}).get(check.id, [])
    if pictures:
        entry["images"] = [{"label": label, "url": data_uri(png)} for label, png in pictures]
    return entry


def _summary_message(report: Report, settings: FeedbackSettings) -> str:
    public = [c for c in report.checks if not c.hidden]
    hidden = [c for c in report.checks if c.hidden]
    message = f"Public tests: {points_fraction(*points_of(public))} points ({status_counts_text(public)})."
    if hidden:
        noun = "test" if len(hidden) == 1 else "tests"
        earned, available = points_of(hidden)
        if settings.hidden_total == "visible":
            message += f" Hidden {noun}: {points_fraction(earned, available)} points."
        else:
            message += f" {len(hidden)} hidden {noun} worth {fmt_points(available)} points (results later)."
    if late_line(report.lateness):
        message += f" {late_line(report.lateness)}."
    return message


def _summary_output(report: Report) -> str:
    lines: list[str] = []
    if report.submission.warnings:
        lines.append("Notes from loading your submission:")
        lines.extend(f"  - {w}" for w in report.submission.warnings)
    printed = _printed(report.output)
    if printed:
        if lines:
            lines.append("")
        lines.append("Printed by your code at import time (not part of the result):")
        lines.append(printed)
    return "\n".join(lines)


def render_prairielearn(report: Report, *, settings: FeedbackSettings | None = None,
                        images: Images | None = None) -> dict[str, Any]:
    """Build PrairieLearn's ``results.json`` content for one report.

    Parameters
    ----------
    report : Report
        The grading run.
    settings : FeedbackSettings, optional
        Hint level and visibilities (default: the shipped configuration's).
    images : dict, optional
        Pictures of public checks (:func:`nngrade.render.images.check_images`).

    Returns
    -------
    dict
        When the submission loaded: ``gradable: true``, ``score`` (see
        :func:`pl_score`), ``message``, ``output`` and ``tests`` (grouped by check group). When it could
        not be loaded or not be imported (``report.submission.error`` or
        ``import_error`` set): ``gradable: false``, ``format_errors`` (list of
        str), ``message`` and ``output``; no score.
    """
    report = safe_report(report)
    settings = settings or FeedbackSettings()
    problem = report.submission.error or report.submission.import_error
    if problem:
        verb = "loaded" if report.submission.error else "imported"
        return {
            "gradable": False,
            "format_errors": [problem],
            "message": f"Your submission could not be {verb}, so it was not graded.",
            "output": _summary_output(report),
        }
    return {
        "gradable": True,
        "score": pl_score(report),
        "message": _summary_message(report, settings),
        "output": _summary_output(report),
        "tests": [pl_test(check, settings, images) for _, check in numbered_checks(report.checks)
                  if settings.visibility(check) != "hidden"],
    }

