"""Results are written only by the grader, never through a planted symlink (nngrade.engine.fsutil)."""
from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner

from nngrade.cli import main
from nngrade.engine import fsutil
from nngrade.engine.fsutil import UnsafePathError, write_atomically


@pytest.fixture
def victim(tmp_path):
    path = tmp_path / "victim.txt"
    path.write_text("original")
    return path


def test_a_symlink_at_the_target_is_replaced_not_followed(tmp_path, victim):
    target = tmp_path / "results" / "results.json"
    target.parent.mkdir()
    target.symlink_to(victim)
    write_atomically(target, '{"score": 1}')
    assert victim.read_text() == "original"
    assert not target.is_symlink() and json.loads(target.read_text()) == {"score": 1}


def test_a_symlinked_folder_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "results").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        write_atomically(tmp_path / "results" / "results.json", "{}")
    assert list(elsewhere.iterdir()) == []


def test_a_symlink_planted_at_the_temporary_name_is_never_opened(tmp_path, victim, monkeypatch):
    folder = tmp_path / "results"
    folder.mkdir()
    planted = folder / ".results.json.planted.tmp"
    planted.symlink_to(victim)
    monkeypatch.setattr(fsutil, "temporary_name", lambda name: planted.name)
    with pytest.raises(UnsafePathError, match="temporary names"):
        write_atomically(folder / "results.json", "{}")
    assert victim.read_text() == "original" and planted.is_symlink()
    assert not (folder / "results.json").exists()


def test_a_taken_temporary_name_is_skipped_for_a_fresh_one(tmp_path, victim, monkeypatch):
    folder = tmp_path / "results"
    folder.mkdir()
    planted = folder / ".results.json.planted.tmp"
    planted.symlink_to(victim)
    names = iter([planted.name, ".results.json.fresh.tmp"])
    monkeypatch.setattr(fsutil, "temporary_name", lambda name: next(names))
    write_atomically(folder / "results.json", "{}")
    assert victim.read_text() == "original" and planted.is_symlink()
    assert (folder / "results.json").read_text() == "{}\n"
    assert not (folder / ".results.json.fresh.tmp").exists()


def test_permissions_follow_the_umask_and_no_temporary_is_left(tmp_path):
    previous = os.umask(0o027)
    try:
        write_atomically(tmp_path / "out" / "report.json", "{}")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "out" / "report.json").stat().st_mode) == 0o640
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["report.json"]


def test_cli_refuses_to_write_a_report_into_a_symlinked_folder(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "results").symlink_to(elsewhere, target_is_directory=True)
    submission = tmp_path / "missing.py"  # graded quickly: it does not exist
    result = CliRunner().invoke(main, ["grade", str(submission), "-o", str(tmp_path / "results" / "r.json")])
    assert result.exit_code == 1
    assert "cannot write the report" in result.output and "symbolic link" in result.output
    assert list(elsewhere.iterdir()) == []
