"""Gradebook files rebuilt from the reports folder: ``grades.csv``, ``grades_canvas.csv``, ``reports.jsonl``.

Column meanings and how Canvas and Moodle import them: ``docs/BATCH.md``.
"""
from __future__ import annotations

import csv
import io
import json

from nngrade.batch.analytics import percent, submission_status
from nngrade.batch.store import ResultsStore
from nngrade.engine.fsutil import write_atomically, write_bytes_atomically
from nngrade.render.safe import safe_text

LEADING = ["id", "total", "max", "percent"]
TRAILING = ["status", "name", "student_id", "email", "lms_id", "layout", "days_late", "late_penalty",
            "total_after_penalty"]
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
#: The columns of Moodle's offline grading worksheet that "Upload grading worksheet" reads.
MOODLE_WORKSHEET_COLUMNS = ["Identifier", "Full name", "Grade", "Maximum Grade", "Feedback comments"]
MOODLE_WORKSHEET = "grades_moodle_worksheet.csv"
#: Characters that make spreadsheet programs treat a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def points_text(value: float) -> str:
    """Points as a short decimal: ``4``, ``1.6``, ``0.333333``."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _cell(value) -> str:
    """A spreadsheet-safe cell: control characters and lone surrogates shown escaped, and a
    leading ``'`` when the text starts like a formula (``=``, ``+``, ``-``, ``@``, tab or CR).

    Checked on the raw text, so a cell starting with a tab or a carriage return is
    prefixed as well as escaped.
    """
    text = "" if value is None else str(value)
    return "'" + safe_text(text) if text.startswith(FORMULA_START) else safe_text(text)


def check_columns(reports: list[dict]) -> list[str]:
    """Check ids in first-seen order over all reports."""
    seen: dict[str, None] = {}
    for report in reports:
        for check in report["checks"]:
            seen.setdefault(check["id"], None)
    return list(seen)


def gradebook_rows(reports: list[dict], roster: dict[str, dict]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of ``grades.csv``: one row per report, in id order."""
    checks = check_columns(reports)
    rows = []
    for report in reports:
        totals = report["totals"]
        ident = report["submission"]["id"]
        points = {c["id"]: points_text(c["points"]) for c in report["checks"]}
        entry = roster.get(ident, {})
        student = entry.get("student", {})
        rows.append([ident, points_text(totals["score"]), points_text(totals["max_score"]), f"{percent(report):.2f}"]
                    + [points.get(c, "") for c in checks]
                    + [submission_status(report), _cell(student.get("name", "")), _cell(student.get("sid", "")),
                       _cell(student.get("email", "")), student.get("lms_id", ""), entry.get("layout", "")]
                    + _late_cells(report))
    return LEADING + checks + TRAILING, rows


def _late_cells(report: dict) -> list[str]:
    """``days_late``, ``late_penalty`` (fraction) and ``total_after_penalty``; the first two empty when unknown."""
    late = report.get("lateness") or {}
    after = late.get("score_after_penalty", report["totals"]["score"])
    if not late:
        return ["", "", points_text(after)]
    return [str(late.get("days_late", 0)), points_text(late.get("penalty", 0)), points_text(after)]


def canvas_rows(reports: list[dict], roster: dict[str, dict], assignment: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of ``grades_canvas.csv`` (one row per student; group submissions are split)."""
    rows = []
    for report in reports:
        ident = report["submission"]["id"]
        entry = roster.get(ident, {})
        layout, student = entry.get("layout", "plain"), entry.get("student", {})
        score = _late_cells(report)[-1]
        names = student.get("name", "").split("; ")
        sids = student.get("sid", "").split("; ")
        for i in range(max(len(names), len(sids))):
            name = names[i] if i < len(names) else ""
            sid = sids[i] if i < len(sids) else ""
            canvas_id = student.get("lms_id", "") if layout == "canvas" else ""
            login = ident if layout == "plain" else ""
            rows.append([name, canvas_id, sid, login, "", score])
    return CANVAS_COLUMNS + [assignment], rows


def moodle_worksheet_rows(reports: list[dict], roster: dict[str, dict]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the Moodle grading worksheet: one row per participant of the Moodle layout."""
    rows = []
    for report in reports:
        ident = report["submission"]["id"]
        entry = roster.get(ident, {})
        if entry.get("layout") != "moodle":
            continue
        student, totals = entry.get("student", {}), report["totals"]
        status = submission_status(report)
        feedback = f"nngrade: {points_text(totals['score'])}/{points_text(totals['max_score'])} points"
        if status != "graded":
            feedback += f" ({status.replace('_', ' ')})"
        rows.append([f"Participant {student.get('lms_id', ident)}", _cell(student.get("name", "")),
                     points_text(totals["score"]), points_text(totals["max_score"]), _cell(feedback)])
    return MOODLE_WORKSHEET_COLUMNS, rows


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    """CSV text of a gradebook; every cell, the header's included, goes through :func:`_cell`.

    Numbers are cells too: a negative one would start with ``-`` and be prefixed, but
    points and percents are never negative.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([_cell(c) for c in header])
    writer.writerows([_cell(c) for c in row] for row in rows)
    return buffer.getvalue()


def rebuild_outputs(store: ResultsStore, *, assignment: str) -> list[dict]:
    """Rewrite ``grades.csv``, ``grades_canvas.csv`` and ``reports.jsonl`` from ``reports/``.

    Parameters
    ----------
    store : ResultsStore
        The results folder.
    assignment : str
        Header of the score column in ``grades_canvas.csv`` (Canvas matches
        it to an assignment by name, ideally ``"Name (assignment id)"``).

    Returns
    -------
    list of dict
        The reports the files were built from (every valid one, in id order).
    """
    reports = list(store.iter_reports())
    roster = store.roster()
    write_atomically(store.root / "grades.csv", csv_text(*gradebook_rows(reports, roster)))
    write_atomically(store.root / "grades_canvas.csv", csv_text(*canvas_rows(reports, roster, assignment)))
    header, moodle = moodle_worksheet_rows(reports, roster)
    if moodle:
        write_atomically(store.root / MOODLE_WORKSHEET, csv_text(header, moodle))
    lines = [json.dumps(r, sort_keys=True, separators=(",", ":"), allow_nan=False) for r in reports]
    write_bytes_atomically(store.root / "reports.jsonl", "".join(line + "\n" for line in lines).encode("utf-8"))
    return reports
