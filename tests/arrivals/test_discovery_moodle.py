"""Batch discovery says what it saw; the Moodle layout gets the grading worksheet Moodle uploads."""
from __future__ import annotations

import csv

from click.testing import CliRunner
from submissions import reference_source

from nngrade.batch.discover import discover
from nngrade.cli import main

FAST = "[limits]\ncall_timeout = 2.0\nworker_start_timeout = 10.0\n\n[xor]\nseeds = [0]\n"


def moodle_download(root):
    (root / "Ada Lovelace_1042_assignsubmission_file_").mkdir(parents=True)
    (root / "Ada Lovelace_1042_assignsubmission_file_" / "nn.py").write_text(reference_source())
    (root / "Alan Turing_1043_assignsubmission_file_nn.py").write_text("def broken(:\n")
    (root / "notes.txt").write_text("grading notes of the teaching assistant\n")
    return root


def test_one_stray_file_does_not_turn_a_moodle_download_into_the_plain_layout(tmp_path):
    found, warnings = discover(moodle_download(tmp_path / "in"), tmp_path / "staging")

    assert [(s.id, s.layout) for s in found] == [("1042", "moodle"), ("1043", "moodle")]
    assert warnings == ["ignored notes.txt: not named like a Moodle download entry"]


def test_layout_can_be_forced(tmp_path):
    found, _ = discover(moodle_download(tmp_path / "in"), tmp_path / "staging", layout="plain")

    assert {s.layout for s in found} == {"plain"} and len(found) == 2  # notes.txt is skipped as before


def test_batch_prints_its_layout_and_writes_the_moodle_worksheet(tmp_path):
    root = moodle_download(tmp_path / "in")
    config = tmp_path / "fast.toml"
    config.write_text(FAST)
    empty = tmp_path / "no-mnist"
    empty.mkdir()
    results = tmp_path / "out"

    run = CliRunner().invoke(main, ["batch", str(root), "-o", str(results), "--config", str(config),
                                    "--mnist-dir", str(empty), "--no-progress", "--jobs", "2"])

    assert run.exit_code == 0, run.output
    assert f"layout: moodle; 2 submissions found in {root}" in run.output
    assert "warning: ignored notes.txt" in run.output
    with open(results / "grades_moodle_worksheet.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Identifier", "Full name", "Grade", "Maximum Grade", "Feedback comments"]
    by_id = {row[0]: row for row in rows[1:]}
    assert sorted(by_id) == ["Participant 1042", "Participant 1043"]
    assert by_id["Participant 1042"][1] == "Ada Lovelace"
    with open(results / "grades.csv", newline="", encoding="utf-8") as handle:
        gradebook = {row["id"]: row for row in csv.DictReader(handle)}
    assert float(by_id["Participant 1042"][2]) > 0
    assert by_id["Participant 1042"][2:4] == [gradebook["1042"]["total"], gradebook["1042"]["max"]]
    assert by_id["Participant 1043"][2] == "0" and "not loaded" in by_id["Participant 1043"][4]


def test_a_plain_folder_gets_no_moodle_worksheet_and_says_plain(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    (root / "alice.py").write_text("def broken(:\n")
    results = tmp_path / "out"

    run = CliRunner().invoke(main, ["batch", str(root), "-o", str(results), "--no-progress"])

    assert run.exit_code == 0, run.output
    assert "layout: plain; 1 submissions found" in run.output
    assert not (results / "grades_moodle_worksheet.csv").exists()
