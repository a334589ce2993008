"""Submission layouts: plain, Gradescope export, Canvas and Moodle downloads; ids and student details."""
from __future__ import annotations

import pytest

from nngrade.batch.discover import DiscoveryError, discover, parse_gradescope_metadata

GRADESCOPE_METADATA = """\
submission_101:
  :submitters:
  - :name: Ada Lovelace
    :sid: '0042'
    :email: ada@example.edu
  :created_at: 2024-03-01 12:00:00.000000000 -08:00
  :score: 12.0
  :history:
  - :id: 99
    :submitters:
    - :name: Not A Submitter
submission_102:
  :submitters:
  - :name: Alan Turing
    :sid: '0043'
    :email: alan@example.edu
  - :name: "Grace Hopper"
    :sid: '0044'
    :email: grace@example.edu
  :created_at: 2024-03-01 12:05:00.000000000 -08:00
"""


def touch(path, text="x = 1\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_plain_layout_ids_suffixes_and_skips(tmp_path):
    root = tmp_path / "in"
    touch(root / "alice.py")
    touch(root / "bob.ipynb", "{}")
    touch(root / "carol.zip", "")
    touch(root / "dave" / "layers.py")
    touch(root / "eve.py")
    touch(root / "eve.ipynb", "{}")
    touch(root / "odd name!.py")
    touch(root / "report.pdf")
    touch(root / ".hidden.py")
    found, warnings = discover(root, tmp_path / "staging")
    assert [(s.id, s.path.name) for s in found] == [
        ("alice", "alice.py"), ("bob", "bob.ipynb"), ("carol", "carol.zip"), ("dave", "dave"),
        ("eve_ipynb", "eve.ipynb"), ("eve_py", "eve.py"), ("odd_name", "odd name!.py")]
    assert {s.layout for s in found} == {"plain"}
    assert len(warnings) == 1 and "report.pdf" in warnings[0]


def test_gradescope_export_inside_its_folder(tmp_path):
    export = tmp_path / "in" / "assignment_7_export"
    touch(export / "submission_metadata.yml", GRADESCOPE_METADATA)
    touch(export / "submission_101" / "nn.py")
    touch(export / "submission_102" / "layers.py")
    found, _ = discover(tmp_path / "in", tmp_path / "staging")
    assert [(s.id, s.layout, s.path.name) for s in found] == [
        ("101", "gradescope", "submission_101"), ("102", "gradescope", "submission_102")]
    assert found[0].student == {"name": "Ada Lovelace", "sid": "0042", "email": "ada@example.edu", "lms_id": "101"}
    assert found[1].student["name"] == "Alan Turing; Grace Hopper"
    assert found[1].student["sid"] == "0043; 0044"


def test_gradescope_metadata_ignores_history():
    parsed = parse_gradescope_metadata(GRADESCOPE_METADATA)
    assert [s["name"] for s in parsed["submission_101"]] == ["Ada Lovelace"]
    assert len(parsed["submission_102"]) == 2


def test_canvas_download_groups_a_students_files(tmp_path):
    root = tmp_path / "in"
    touch(root / "lovelaceada_1234_555_nn.py")
    touch(root / "turingalan_LATE_5678_556_layers.py", "from .losses import *\n")
    touch(root / "turingalan_LATE_5678_557_losses-1.py", "y = 2\n")
    found, warnings = discover(root, tmp_path / "staging")
    assert warnings == []
    assert [(s.id, s.layout) for s in found] == [("1234", "canvas"), ("5678", "canvas")]
    assert found[0].path == root / "lovelaceada_1234_555_nn.py"
    assert found[0].student["name"] == "lovelaceada" and found[0].student["lms_id"] == "1234"
    grouped = found[1].path
    assert sorted(p.name for p in grouped.iterdir()) == ["layers.py", "losses.py"]
    assert (grouped / "losses.py").read_text() == "y = 2\n"


def test_moodle_download_files_and_folders(tmp_path):
    root = tmp_path / "in"
    touch(root / "Ada Lovelace_301_assignsubmission_file_nn.py")
    touch(root / "Alan Turing_302_assignsubmission_file_" / "network.py")
    found, _ = discover(root, tmp_path / "staging")
    assert [(s.id, s.layout, s.student["name"]) for s in found] == [
        ("301", "moodle", "Ada Lovelace"), ("302", "moodle", "Alan Turing")]
    assert found[1].path.is_dir()


def test_mixed_names_fall_back_to_plain(tmp_path):
    root = tmp_path / "in"
    touch(root / "lovelaceada_1234_555_nn.py")
    touch(root / "bob.py")
    found, _ = discover(root, tmp_path / "staging")
    assert {s.layout for s in found} == {"plain"} and [s.id for s in found] == ["bob", "lovelaceada_1234_555_nn"]


def test_not_a_folder(tmp_path):
    with pytest.raises(DiscoveryError):
        discover(tmp_path / "missing", tmp_path / "staging")
