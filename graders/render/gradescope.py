"""Gradescope autograder ``results.json`` rendering.

Follows the Gradescope autograder specification ("Output format"): a top-level
``score``, ``execution_time``, ``output``, ``visibility``, ``stdout_visibility``
and a ``tests`` list whose entries carry ``score``, ``max_score``, ``status``,
``name``, ``number``, ``output``, ``tags`` and ``visibility``.

Everything in this file ends up in front of students, so hidden checks are
reduced to a generic line (``"Hidden test: 0/2 points"``): no message, no
diagnosis, no captured printing. Instructors read the full canonical JSON report.
"""
from __future__ import annotations

import dataclasses
import html
import math
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
from nngrade.render.settings import FeedbackSettings, require_visibility
from nngrade.results import SCHEMA_VERSION, CheckResult, Report, with_hints

#: Name of the entry that carries the points over the hidden checks (visibility ``hidden_total``).
HIDDEN_TOTAL_NAME = "Hidden tests (total)"

#: Caps on the submission's captured printing shown in a test's output.
PRINTED_MAX_LINES = 40
PRINTED_MAX_CHARS = 4000

PRINTED_IN_CHECK_HEADER = "--- Printed by your code during this check (not part of the result) ---"
PRINTED_AT_IMPORT_HEADER = "--- Printed by your code at import time (not part of the result) ---"


def _seconds(duration: float) -> float:
    """``duration`` rounded to milliseconds; 0 when negative or not finite."""
    return round(duration, 3) if math.isfinite(duration) and duration > 0 else 0.0


def printed_section(header: str, text: str) -> list[str]:
    """Lines presenting captured printing under ``header`` (empty when nothing was printed)."""
    if not text.strip():
        return []
    return ["", header, truncate_text(text, max_lines=PRINTED_MAX_LINES, max_chars=PRINTED_MAX_CHARS)]


def public_test_output(check: CheckResult, hints: str = "concept") -> str:
    """Student-facing text for a public check.

    Parameters
    ----------
    check : CheckResult
        A public check.
    hints : str, default "concept"
        How much of each fix is shown (:data:`nngrade.results.HINT_LEVELS`).

    Returns
    -------
    str
        A ``Result:`` line, the check's message, each diagnosis (likely cause,
        explanation, evidence) and, last and clearly labelled, what the
        submission printed during the check.
    """
    lines = [f"Result: {STATUS_LABELS[check.status]} ({points_fraction(check.points, check.max_points)} points)"]
    message = with_hints(check.message, hints)
    if message:
        lines.extend(message.splitlines())
    for diagnosis in check.diagnoses:
        lines.append("")
        lines.extend(diagnosis_lines(diagnosis, hints))
    lines.extend(printed_section(PRINTED_IN_CHECK_HEADER, check.output))
    return "\n".join(lines)


def summary_output(report: Report) -> str:
    """Top-level text: public score, hidden-test count, loader problems, import-time printing.

    The total including hidden checks is deliberately left out: Gradescope
    hides the total score from students while some tests are not yet visible.
    """
    public = [c for c in report.checks if not c.hidden]
    hidden = [c for c in report.checks if c.hidden]
    lines = [
        f"nngrade {report.kit_version}",
        f"Public tests: {points_fraction(*points_of(public))} points ({status_counts_text(public)})",
    ]
    if hidden:
        worth = fmt_points(sum(c.max_points for c in hidden))
        noun = "test" if len(hidden) == 1 else "tests"
        lines.append(f"Hidden tests: {len(hidden)} {noun} worth {worth} points (details are not shown)")
    if late_line(report.lateness):
        lines.append(late_line(report.lateness))
    if report.submission.error:
        lines.append("")
        lines.append("Your submission could not be loaded:")
        lines.extend("  " + line for line in report.submission.error.splitlines())
    if report.submission.warnings:
        lines.append("")
        lines.append("Notes from loading your submission:")
        lines.extend(f"  - {w}" for w in report.submission.warnings)
    lines.extend(printed_section(PRINTED_AT_IMPORT_HEADER, report.output))
    return "\n".join(lines)


def render_gradescope(
    report: Report,
    *,
    settings: FeedbackSettings | None = None,
    images: Images | None = None,
    hidden_visibility: str | None = None,
    public_visibility: str | None = None,
    stdout_visibility: str | None = None,
) -> dict[str, Any]:
    """Build Gradescope's ``results.json`` content for one report.

    Parameters
    ----------
    report : Report
        The grading run (normally ``mode="grade"``).
    settings : FeedbackSettings, optional
        Hint level, visibilities and leaderboard (default: the shipped configuration's).
    images : dict, optional
        Check id -> ``[(label, base64 PNG)]`` (:func:`nngrade.render.images.check_images`):
        those public checks' output becomes html with the pictures below the text.
    hidden_visibility, public_visibility, stdout_visibility : str, optional
        Override the settings' visibility of hidden checks, of public checks and
        of the autograder's standard output; each one of
        :data:`GRADESCOPE_VISIBILITIES`. Hidden checks' output is the generic
        ``"Hidden test: x/y points"`` line whatever their visibility.

    Returns
    -------
    dict
        JSON-ready ``results.json`` content. Tests are listed group by group
        and numbered ``"<group>.<position>"``; ``score`` equals the sum of the
        tests' ``score`` (less the late penalty, ``report.lateness``); a test's ``status`` is ``"passed"`` only for checks
        that passed. When there are hidden checks, one more entry without
        points, :data:`HIDDEN_TOTAL_NAME`, states their total with visibility
        ``settings.hidden_total``. ``leaderboard`` is present when the settings
        list columns; a column whose check did not pass is left out.

    Raises
    ------
    ValueError
        If a visibility argument is not a Gradescope visibility.
    """
    overrides = {name: value for name, value in (("hidden_visibility", hidden_visibility),
                                                 ("public_visibility", public_visibility),
                                                 ("stdout_visibility", stdout_visibility)) if value is not None}
    for name, value in overrides.items():
        require_visibility(name, value)
    settings = dataclasses.replace(settings or FeedbackSettings(), **overrides)
    report = safe_report(report)
    tests = []
    images = images or {}
    for number, check in numbered_checks(report.checks):
        output = hidden_line(check) if check.hidden else public_test_output(check, settings.hints)
        pictures = [] if check.hidden else images.get(check.id, [])
        if pictures:
            output = f"<pre>{html.escape(output)}</pre>" + "".join(
                f'<p><img alt="{html.escape(label)}" src="{data_uri(png)}"></p>' for label, png in pictures)
        tests.append({
            "name": check.name,
            "name_format": "text",
            "number": number,
            "score": check.points,
            "max_score": check.max_points,
            "status": "passed" if check.status == "passed" else "failed",
            "output": output,
            "output_format": "html" if pictures else "text",
            "tags": [check.group],
            "visibility": settings.visibility(check),
            "extra_data": {"check_id": check.id, "status": check.status},
        })
    hidden = [c for c in report.checks if c.hidden]
    if hidden:
        tests.append({
            "name": HIDDEN_TOTAL_NAME,
            "name_format": "text",
            "output": f"Hidden tests: {points_fraction(*points_of(hidden))} points",
            "output_format": "text",
            "visibility": settings.hidden_total,
            "extra_data": {"hidden_checks": len(hidden)},
        })
    results = {
        "score": report.final_score,
        "execution_time": _seconds(report.duration),
        "output": summary_output(report),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": settings.stdout_visibility,
        "extra_data": {
            "nngrade_schema_version": SCHEMA_VERSION,
            "kit_version": report.kit_version,
            "mode": report.mode,
            "submission_sha256": report.submission.sha256,
        },
        "tests": tests,
    }
    if settings.leaderboard:
        results["leaderboard"] = [{"name": entry.name, "value": value, "order": entry.order}
                                  for entry in settings.leaderboard
                                  if (value := entry.read(report)) is not None]
    return results


def gradescope_stdout(report: Report, *, include_hidden: bool = True) -> str:
    """Everything the submission printed, labelled by check, for the autograder's stdout.

    Gradescope shows the autograder's standard output to instructors, and to
    students only as ``stdout_visibility`` allows; print this there rather than
    mixing it into results.

    Parameters
    ----------
    report : Report
        The grading run.
    include_hidden : bool, default True
        Include what was printed during hidden checks. Turn off if
        ``stdout_visibility`` lets students see standard output.

    Returns
    -------
    str
        One labelled block per source of printing; empty when nothing was printed.
    """
    report = safe_report(report)
    blocks = []
    if report.output.strip():
        blocks.append(f"[submission printed at import]\n{report.output.rstrip()}")
    for check in report.checks:
        if check.output.strip() and (include_hidden or not check.hidden):
            blocks.append(f"[submission printed during {check.id}]\n{check.output.rstrip()}")
    return "\n\n".join(blocks)
