"""Paths the loader cannot grade: missing, wrong type, special files, unreadable."""
from __future__ import annotations

import os

import nbformat
import pytest

from nngrade.loader import LoadedSubmission, common, load_submission
from nngrade.results import SubmissionInfo

ACCEPTED = (
    "accepted submissions are a .py file, a .ipynb notebook, a directory (a Python package or "
    "a folder of .py files) or a .zip archive of one of these"
)


def test_missing_path(src, workdir):
    loaded = load_submission(src / "nope.py", workdir)
    assert loaded.info.error == f"submission path {src / 'nope.py'} does not exist"
    assert loaded.info.kind == "unknown" and loaded.info.id == "nope"
    assert loaded.module_dir is None and loaded.entry is None and not loaded.ok
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize("name", ["report.pdf", "answers.txt", "README"])
def test_unsupported_file_type(src, workdir, name):
    path = src / name
    path.write_text("hello")
    loaded = load_submission(path, workdir)
    assert loaded.info.error == f"cannot grade {name}: {ACCEPTED}"
    assert loaded.info.kind == "unknown"


def test_upper_case_suffix_is_accepted(src, workdir):
    path = src / "HW.PY"
    path.write_text("x = 1\n")
    loaded = load_submission(path, workdir)
    assert loaded.ok and loaded.info.kind == "py" and loaded.info.id == "HW"


def test_fifo_submission_is_refused_without_blocking(src, workdir):
    path = src / "sub.py"
    os.mkfifo(path)
    assert load_submission(path, workdir).info.error == f"submission sub.py is not a regular file or a folder; {ACCEPTED}"


def test_read_failure_is_reported(src, workdir, monkeypatch):
    path = src / "sub.py"
    path.write_text("x = 1\n")
    real_open = os.open

    def refusing_open(file, flags, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied")
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(common.os, "open", refusing_open)
    loaded = load_submission(path, workdir)
    assert loaded.info.error == "could not read sub.py: Permission denied"
    assert loaded.info.kind == "py"


def test_ok_requires_module_dir_entry_and_no_error(tmp_path):
    info = SubmissionInfo(id="x", path="x.py")
    assert LoadedSubmission(info, tmp_path, "nngrade_submission").ok
    assert not LoadedSubmission(info, None, None).ok
    info.error = "broken"
    assert not LoadedSubmission(info, tmp_path, "nngrade_submission").ok


def test_too_many_warnings_are_summarised(src, workdir):
    lines = "\n".join(f"!echo {i}" for i in range(60)) + "\nx = 1\n"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(lines)]
    nbformat.write(nb, str(src / "hw.ipynb"))
    warnings = load_submission(src / "hw.ipynb", workdir).info.warnings
    assert len(warnings) == 50
    assert warnings[0] == "cell 1, line 1: dropped shell command `!echo 0`"
    assert warnings[-1] == "... and 11 more warnings"


def test_grader_failures_still_raise(src, tmp_path):
    path = src / "sub.py"
    path.write_text("x = 1\n")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError):
        load_submission(path, blocker)


def test_top_level_symlink_is_followed_and_named_as_given(src, workdir, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    (store / "blob-123").write_text("x = 1\n")
    os.symlink(store / "blob-123", src / "alice.py")
    loaded = load_submission(src / "alice.py", workdir)
    assert loaded.ok and loaded.info.kind == "py" and loaded.info.id == "alice"
    assert loaded.source_name == "alice.py"


def test_current_directory_is_named_after_the_folder(src, workdir, monkeypatch):
    (src / "sub.py").write_text("x = 1\n")
    monkeypatch.chdir(src)
    loaded = load_submission(".", workdir)
    assert loaded.ok and loaded.info.id == "src" and loaded.info.path == "."


def test_work_folder_inside_the_submission_is_ignored(src):
    (src / "layers.py").write_text("x = 1\n")
    (src / "losses.py").write_text("y = 1\n")
    first = load_submission(src, src / "nngrade-work")
    second = load_submission(src, src / "nngrade-work")
    assert first.ok and second.ok
    assert first.info.sha256 == second.info.sha256
    assert sorted(p.name for p in (second.module_dir / "nngrade_submission").iterdir()) == [
        "__init__.py", "layers.py", "losses.py",
    ]
