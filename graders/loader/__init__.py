"""Submission loader: read a student's submission and normalise it, never running it.

``load_submission(path, workdir)`` accepts a ``.py`` file, a ``.ipynb`` notebook,
a folder (package or folder of ``.py`` files) or a ``.zip`` of one of these,
and copies it into a fresh folder as module or package ``nngrade_submission``.
Submitted code is only read and parsed (:func:`ast.parse`); it runs later, in
the sandboxed worker. Problems with the submission are reported in
``info.error``; they never raise.

Modules: :mod:`.core` (entry point), :mod:`.directory` (folders),
:mod:`.notebook` (notebook conversion), :mod:`.archive` (zip extraction),
:mod:`.common` (limits and file helpers).
"""
from .common import (
    ENTRY,
    MAX_DATA_FILE_BYTES,
    MAX_FILES,
    MAX_NOTEBOOK_BYTES,
    MAX_TOTAL_BYTES,
    MAX_ZIP_BYTES,
    MAX_ZIP_MEMBERS,
)
from .core import LoadedSubmission, load_submission
from .notebook import describe_cell_reports, locate_notebook_line

__all__ = [
    "ENTRY",
    "LoadedSubmission",
    "MAX_DATA_FILE_BYTES",
    "MAX_FILES",
    "MAX_NOTEBOOK_BYTES",
    "MAX_TOTAL_BYTES",
    "MAX_ZIP_BYTES",
    "MAX_ZIP_MEMBERS",
    "describe_cell_reports",
    "load_submission",
    "locate_notebook_line",
]
