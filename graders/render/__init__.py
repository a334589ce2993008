"""Renderers: pure functions turning a :class:`~nngrade.results.Report` into output.

========================  ======================================================
``"json"``                canonical report JSON (validated against the schema)
``"gradescope"``          Gradescope ``results.json`` content (dict)
``"prairielearn"``        PrairieLearn external-grader ``results.json`` (dict)
``"text"``                readable terminal text
========================  ======================================================

Gradescope and PrairieLearn output is always student-safe: hidden checks show
only their points. ``json`` and ``text`` show everything unless
``student_view=True``.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from nngrade.render.gradescope import gradescope_stdout, render_gradescope
from nngrade.render.json_report import render_json, report_dict
from nngrade.render.prairielearn import render_prairielearn
from nngrade.render.settings import FeedbackSettings
from nngrade.render.text import render_text
from nngrade.render.validate import ReportValidationError, load_schema, validate_report
from nngrade.results import Report

#: Format name -> renderer. Each takes the report as its only positional argument.
RENDERERS: dict[str, Callable[..., Any]] = {
    "json": render_json,
    "gradescope": render_gradescope,
    "prairielearn": render_prairielearn,
    "text": render_text,
}

#: Formats whose renderer has a ``student_view`` switch (the others are always student-safe).
STUDENT_VIEW_FORMATS = frozenset({"json", "text"})


def render(report: Report, fmt: str, *, student_view: bool = False,
           settings: FeedbackSettings | None = None, verbose: bool = False) -> str:
    """Render ``report`` in format ``fmt`` as a string.

    Parameters
    ----------
    report : Report
        The grading run.
    fmt : str
        A key of :data:`RENDERERS`.
    student_view : bool, default False
        Hide hidden checks' details (``json`` and ``text``; ``gradescope`` and
        ``prairielearn`` always hide them).
    settings : FeedbackSettings, optional
        What students see (hint level, visibilities, leaderboard): used by
        ``gradescope``, ``prairielearn`` and the student view of ``text``.
    verbose : bool, default False
        ``text`` only: also list the sandbox notes (the JSON report always has them).

    Returns
    -------
    str
        The rendering; dict results are JSON-encoded with 2-space indentation
        and sorted keys. No trailing newline.

    Raises
    ------
    ValueError
        If ``fmt`` is not a known format.
    """
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {sorted(RENDERERS)}") from None
    settings = settings or FeedbackSettings()
    if fmt == "text":
        result = renderer(report, student_view=student_view, hints=settings.hints, verbose=verbose)
    elif fmt in STUDENT_VIEW_FORMATS:
        result = renderer(report, student_view=student_view)
    else:
        from nngrade.render.images import check_images

        result = renderer(report, settings=settings, images=check_images(report) if settings.images else None)
    if isinstance(result, dict):
        return json.dumps(result, indent=2, sort_keys=True, allow_nan=False)
    return result


__all__ = [
    "RENDERERS",
    "FeedbackSettings",
    "STUDENT_VIEW_FORMATS",
    "ReportValidationError",
    "gradescope_stdout",
    "load_schema",
    "render",
    "render_gradescope",
    "render_json",
    "render_prairielearn",
    "render_text",
    "report_dict",
    "validate_report",
]
