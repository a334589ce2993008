"""Plain-text terminal rendering of a :class:`~nngrade.results.Report`.

Layout::

    nngrade 0.1.0 report (mode: grade)
    Submission: alice.py (py, sha256 0123456789ab)
    Sandbox: bwrap
    Score: 7/12 points
    Loader warning: ...

    == forward ==
    FAIL    0/3  Sigmoid forward [forward.sigmoid]
        called sigmoid(z), expected ..., saw ...
        >> Likely cause: Gradient sign flipped
           ...
           Evidence: yours = -1.000 x reference on 6/6 inputs
        Printed during this check:
          | ...

    Summary: 7/12 points - 3 passed, 2 failed, 1 timeout

Output is deterministic and uses ANSI colours only when ``color=True``.
"""
from __future__ import annotations

from nngrade.render._common import (
    STATUS_LABELS,
    diagnosis_lines,
    groups_in_order,
    hidden_line,
    late_line,
    points_fraction,
    status_counts_text,
    truncate_text,
)
from nngrade.render.safe import safe_report
from nngrade.results import CheckResult, Report, with_hints

#: ANSI SGR codes per status, used when ``color=True``.
STATUS_COLORS = {
    "passed": "32",
    "failed": "31",
    "error": "35",
    "timeout": "33",
    "not_run": "2",
}
BOLD = "1"

#: Width of the status column (the longest label is ``NOT RUN``).
LABEL_WIDTH = max(len(label) for label in STATUS_LABELS.values())

#: Indentation of everything shown under a check's status line.
BODY = "    "

#: Average characters per captured line allowed before the text is cut.
MAX_LINE_CHARS = 200

#: The sandbox line of a pre-check that ran without isolation (the ``off`` level: a plain subprocess).
NO_ISOLATION_LINE = ("Sandbox: none - your code ran as a plain subprocess, without isolation "
                     "(this pre-check is not a security boundary)")


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _header(report: Report, color: bool, verbose: bool = False) -> list[str]:
    sub = report.submission
    details = sub.kind + (f", sha256 {sub.sha256[:12]}" if sub.sha256 else "")
    sandbox = report.environment.get("sandbox", {})
    lines = [
        _paint(f"nngrade {report.kit_version} report (mode: {report.mode})", BOLD, color),
        f"Submission: {sub.id} ({details})",
        NO_ISOLATION_LINE if report.mode == "check" and sandbox.get("level") == "off"
        else f"Sandbox: {sandbox.get('level', 'unknown')}",
    ]
    if sub.entry:
        lines.insert(2, f"Graded: {sub.entry}")
    if verbose:  # notes about the sandbox are for whoever runs the grader, not for students
        lines.extend(f"  note: {note}" for note in sandbox.get("notes", []))
    lines.append(f"Score: {points_fraction(report.score, report.max_score)} points")
    if late_line(report.lateness):
        lines.append(late_line(report.lateness))
    for warning in sub.warnings:
        lines.append(f"Loader warning: {warning}")
    if sub.error:
        lines.append(_paint("Submission error: the submission could not be loaded", STATUS_COLORS["failed"], color))
        lines.extend(BODY + line for line in sub.error.splitlines())
    return lines


def _printed_lines(title: str, text: str, max_output_lines: int, indent: str) -> list[str]:
    """Title line, then the truncated text with every line prefixed ``indent + "  | "``."""
    if not text.strip():
        return []
    kept = truncate_text(text, max_lines=max_output_lines, max_chars=max_output_lines * MAX_LINE_CHARS)
    return [indent + title] + [indent + "  | " + line for line in kept.splitlines()]


def _check_lines(
    check: CheckResult, points_width: int, *, student_view: bool, color: bool, max_output_lines: int, hints: str
) -> list[str]:
    label = f"{STATUS_LABELS[check.status]:<{LABEL_WIDTH}}"
    points = f"{points_fraction(check.points, check.max_points):>{points_width}}"
    title = f"{check.name} [{check.id}]" + (" (hidden)" if check.hidden else "")
    lines = [f"{_paint(label, STATUS_COLORS[check.status], color)} {points}  {title}"]
    if check.hidden and student_view:
        return lines + [BODY + hidden_line(check)]
    level = hints if student_view else "code"
    lines.extend(BODY + line for line in with_hints(check.message, level).splitlines())
    for diagnosis in check.diagnoses:
        first, *rest = diagnosis_lines(diagnosis, level)
        lines.append(BODY + _paint(">> " + first, BOLD, color))
        lines.extend(BODY + "   " + line for line in rest)
    lines.extend(_printed_lines("Printed during this check:", check.output, max_output_lines, BODY))
    return lines


def render_text(
    report: Report, *, student_view: bool = False, color: bool = False, max_output_lines: int = 15,
    verbose: bool = False,
    hints: str = "concept",
) -> str:
    """Render a report as readable terminal text.

    Parameters
    ----------
    report : Report
        The grading run.
    student_view : bool, default False
        Show hidden checks as their status, points and the generic
        ``"Hidden test: x/y points"`` line only: no message, diagnoses or
        captured printing.
    color : bool, default False
        Colour status markers and headings with ANSI escapes.
    max_output_lines : int, default 15
        Lines of captured printing shown per check (and for import time).
    verbose : bool, default False
        Also list the sandbox's notes (how isolation was set up), for the instructor.
    hints : str, default "concept"
        With ``student_view``, how much of each fix is shown (:data:`nngrade.results.HINT_LEVELS`);
        the instructor's view always shows all of it.

    Returns
    -------
    str
        The rendering, without a trailing newline. Text from the report is
        passed through :func:`~nngrade.render.safe.safe_text`: the only
        escape sequences are the colours asked for.
    """
    report = safe_report(report)
    lines = _header(report, color, verbose and not student_view)
    lines.extend(_printed_lines("Printed at import time:", report.output, max_output_lines, ""))
    if not report.checks:
        lines += ["", "No checks were run."]
    width = max((len(points_fraction(c.points, c.max_points)) for c in report.checks), default=0)
    for group, checks in groups_in_order(report.checks):
        lines += ["", _paint(f"== {group} ==", BOLD, color)]
        for check in checks:
            lines.extend(
                _check_lines(check, width, student_view=student_view, color=color, max_output_lines=max_output_lines,
                             hints=hints)
            )
    lines += [
        "",
        f"Summary: {points_fraction(report.score, report.max_score)} points - {status_counts_text(report.checks)}",
    ]
    return "\n".join(lines)
