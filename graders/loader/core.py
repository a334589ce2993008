"""Entry point of the loader: turn a submitted path into an importable module folder.

:func:`load_submission` never imports or executes submitted code. It reads,
parses (:func:`ast.parse`) and copies files into a fresh folder under the
grader's work directory; the sandboxed worker later does
``sys.path.insert(0, module_dir); importlib.import_module(entry)``.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..results import SubmissionInfo
from .archive import extract_zip
from .common import (
    ACCEPTED,
    DIR_MODE,
    ENTRY,
    MAX_NOTEBOOK_BYTES,
    MAX_TOTAL_BYTES,
    MAX_ZIP_BYTES,
    SubmissionError,
    read_regular_file,
    syntax_check,
    write_file,
)
from .directory import SourceFile, find_source_root, load_directory, tree_digest
from .notebook import CELLS_SUFFIX, notebook_to_module

#: Archives inside archives (or inside a submitted folder) unwrapped at most.
MAX_NESTED_ARCHIVES = 3
#: At most this many warnings are kept; the rest are summarised in one line.
MAX_WARNINGS = 50


@dataclass
class LoadedSubmission:
    """A submission normalised into a folder the sandboxed worker can import from.

    Parameters
    ----------
    info : SubmissionInfo
        Id, path, kind, hash, warnings and, when loading failed, the error.
    module_dir : Path or None
        Fresh folder under the work directory holding only the normalised
        submission (``nngrade_submission.py`` or ``nngrade_submission/``); None
        when the submission could not be loaded.
    entry : str or None
        Module or package name the worker imports (``"nngrade_submission"``), or None.
    source_name : str
        File or folder name as submitted (e.g. ``"numpy.py"``), for messages that
        map the fixed module name back to the student's file.
    """

    info: SubmissionInfo
    module_dir: Path | None
    entry: str | None
    source_name: str = ""

    @property
    def ok(self) -> bool:
        """True when the submission loaded and can be handed to the worker."""
        return self.module_dir is not None and self.entry is not None and not self.info.error


def _base_name(path: Path) -> str:
    return os.path.basename(os.path.normpath(os.path.abspath(path))) or str(path)


def _default_id(path: Path) -> str:
    name = _base_name(path)
    if not path.is_dir():
        name = PurePosixPath(name).stem if "." in name.lstrip(".") else name
    return name.strip("/") or "submission"


def _safe_prefix(submission_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", submission_id)[:40].lstrip(".") or "submission"


def _load_py(path: Path, display: str, module_dir: Path, info: SubmissionInfo) -> None:
    info.kind = "py"
    data = read_regular_file(path, MAX_TOTAL_BYTES, display)
    info.sha256 = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise SubmissionError(f"submission file {display} is empty")
    syntax_check(data, display)
    info.entry = display
    write_file(module_dir / f"{ENTRY}.py", data)


def _load_notebook(data: bytes, display: str, module_dir: Path, info: SubmissionInfo) -> None:
    info.kind = "notebook"
    cells: list[dict] = []
    module = notebook_to_module(data, display, info.warnings, cells)
    write_file(module_dir / f"{ENTRY}.py", module.encode("utf-8"))
    record = {"notebook": PurePosixPath(display).name, "cells": cells}
    info.entry = f"{display} ({len(cells)} code cells, run in order)"
    write_file(module_dir / f"{ENTRY}{CELLS_SUFFIX}", json.dumps(record).encode("utf-8"))


def _load_folder(root: Path, display: str, module_dir: Path, info: SubmissionInfo,
                 skip: frozenset[str], workdir: Path, archives: int = 0, api: tuple[str, ...] = ()) -> None:
    what, chosen, shown = find_source_root(root, display, info.warnings, skip)
    if what == "zip":
        if archives >= MAX_NESTED_ARCHIVES:
            raise SubmissionError(f"{shown} is an archive nested in {archives} others; submit one archive")
        _load_zip(chosen, shown, module_dir, info, workdir, archives + 1, api)
        return
    if what == "notebook":
        info.kind = "notebook"
        data = read_regular_file(chosen, MAX_NOTEBOOK_BYTES, shown)
        info.sha256 = tree_digest([SourceFile(PurePosixPath(chosen.relative_to(root).as_posix()), data)])
        _load_notebook(data, shown, module_dir, info)
    else:
        info.kind = "package"
        load_directory(chosen, shown, module_dir, info, skip, api)


def _load_zip(path: Path, display: str, module_dir: Path, info: SubmissionInfo, workdir: Path,
              archives: int = 0, api: tuple[str, ...] = ()) -> None:
    data = read_regular_file(path, MAX_ZIP_BYTES, display)
    digest = hashlib.sha256(data).hexdigest()
    info.sha256 = digest
    staging = Path(tempfile.mkdtemp(prefix=".unzip-", dir=workdir))
    try:
        if extract_zip(data, display, staging, info.warnings) == 0:
            raise SubmissionError(f"zip archive {display} contains no files")
        _load_folder(staging, display, module_dir, info, frozenset(), workdir, archives, api)
    finally:
        info.sha256 = digest
        shutil.rmtree(staging, ignore_errors=True)


def _dispatch(path: Path, module_dir: Path, info: SubmissionInfo, workdir: Path, api: tuple[str, ...]) -> None:
    display = _base_name(path)
    # The top-level path comes from the grader's command line: a link there is followed.
    # Links inside the submission never are.
    path = Path(os.path.realpath(path))
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise SubmissionError(f"submission path {info.path} does not exist") from None
    except OSError as exc:
        raise SubmissionError(f"could not read submission {info.path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        info.kind = "package"
        _load_folder(path, display, module_dir, info, frozenset({os.path.realpath(workdir)}), workdir, api=api)
        return
    suffix = os.path.splitext(display)[1].lower()
    if not stat.S_ISREG(mode):
        raise SubmissionError(f"submission {display} is not a regular file or a folder; {ACCEPTED}")
    if suffix == ".py":
        _load_py(path, display, module_dir, info)
    elif suffix == ".ipynb":
        info.kind = "notebook"
        data = read_regular_file(path, MAX_NOTEBOOK_BYTES, display)
        info.sha256 = hashlib.sha256(data).hexdigest()
        _load_notebook(data, display, module_dir, info)
    elif suffix == ".zip":
        _load_zip(path, display, module_dir, info, workdir, api=api)
    else:
        raise SubmissionError(f"cannot grade {display}: {ACCEPTED}")


def _cap_warnings(warnings: list[str]) -> None:
    if len(warnings) > MAX_WARNINGS:
        extra = len(warnings) - (MAX_WARNINGS - 1)
        del warnings[MAX_WARNINGS - 1 :]
        warnings.append(f"... and {extra} more warnings")


def load_submission(path: str | os.PathLike, workdir: str | os.PathLike, *,
                    submission_id: str | None = None, api: tuple[str, ...] = ()) -> LoadedSubmission:
    """Normalise a submission into a fresh folder under `workdir`, without running it.

    Accepted: a ``.py`` file, a ``.ipynb`` notebook, a folder (a package or a folder
    of ``.py`` files) or a ``.zip`` archive of one of these. The rules are in
    ``docs/SUBMISSIONS.md`` and in the docstrings of the ``nngrade.loader`` modules.

    Parameters
    ----------
    path : str or PathLike
        The submission as given on the command line.
    workdir : str or PathLike
        Grader-owned folder (created if missing) that receives the new module folder.
        It must be traversable by the sandbox's uid.
    submission_id : str, optional
        Identifier to report; defaults to the file name without suffix, or the folder name.
    api : tuple of str, optional
        Names the assignment grades; a folder's driver script (``main.py``) is imported only
        when it defines one of them.

    Returns
    -------
    LoadedSubmission
        ``ok`` and importable as ``entry`` from ``module_dir``; or, for any problem with
        the submitted files, ``info.error`` set, ``module_dir`` and ``entry`` None.
        Problems with the submission never raise; failures of the grader's own
        environment (e.g. an unwritable `workdir`) do.

    Notes
    -----
    ``info.sha256`` is the SHA-256 of the submitted bytes for a ``.py``, ``.ipynb``
    or ``.zip`` file; for a folder it is :func:`nngrade.loader.directory.tree_digest`
    over the kept files (sorted relative paths and contents), so ``__pycache__``
    and hidden files do not change it. When the top-level path is a symbolic link
    it is followed; links inside the submission never are.
    """
    path = Path(path)
    info = SubmissionInfo(id=submission_id or _default_id(path), path=str(path))
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    module_dir = Path(tempfile.mkdtemp(prefix=f"{_safe_prefix(info.id)}-", dir=workdir))
    os.chmod(module_dir, DIR_MODE)
    try:
        _dispatch(path, module_dir, info, workdir, tuple(api))
    except SubmissionError as exc:
        info.error = exc.message
        info.kind = exc.kind or info.kind
        shutil.rmtree(module_dir, ignore_errors=True)
        return LoadedSubmission(info, None, None, _base_name(path))
    except BaseException:
        shutil.rmtree(module_dir, ignore_errors=True)
        raise
    finally:
        _cap_warnings(info.warnings)
    return LoadedSubmission(info, module_dir, ENTRY, _base_name(path))
