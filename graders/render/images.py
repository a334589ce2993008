"""Images of a report's public checks for the platforms (Gradescope html output, PrairieLearn ``images``).

The assignment draws them (``check_images(report_dict)`` in its figures module,
``Assignment.figures``); only public checks' data is used, so hidden inputs
never reach a picture.
"""
from __future__ import annotations

import importlib

from nngrade.results import Report

#: Check id -> ``[(label, base64 PNG), ...]``.
Images = dict[str, list[tuple[str, str]]]


def check_images(report: Report, assignment=None) -> Images:
    """The assignment's images per public check; empty when the assignment draws none."""
    from nngrade.engine.assignment import assignment_of

    assignment = assignment or assignment_of(None)
    if not assignment.figures:
        return {}
    draw = getattr(importlib.import_module(assignment.figures), "check_images", None)
    if draw is None:
        return {}
    public = {c.id for c in report.checks if not c.hidden}
    return {check_id: pictures for check_id, pictures in draw(report.to_dict()).items() if check_id in public}


def data_uri(png_base64: str) -> str:
    """``data:image/png;base64,...`` for a base64 PNG."""
    return f"data:image/png;base64,{png_base64}"
