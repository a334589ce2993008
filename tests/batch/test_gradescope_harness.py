"""A simulated Gradescope harness: the exported autograder run as Gradescope runs it.

The bundle is unpacked as ``<root>/autograder/source``, its ``run_autograder``
is run with ``/autograder`` pointing at ``<root>/autograder`` and the kit of this
checkout standing in for the venv ``setup.sh`` builds; the reference is the
submission and Gradescope's ``submission_metadata.json`` says it came in late.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from jsonschema import Draft202012Validator
from submissions import REFERENCE_DIR

from nngrade.batch.bundles import gradescope_bundle

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "render/gradescope_results.schema.json").read_text())

CONFIG = """
[xor]
seeds = [0]

[mnist]
max_train = 2000
min_steps = 60
floor = 0.5

[feedback]
leaderboard_enabled = true
hidden_visibility = "after_due_date"
hidden_total = "visible"
stdout_visibility = "after_published"

[late]
grace_minutes = 30
penalty_per_day = 0.1
max_penalty = 0.25

[checks]
"forward.sigmoid" = { points = 1, visibility = "after_published" }
"""

METADATA = {
    "id": 123, "created_at": "2026-03-04T10:00:00.000000-08:00",
    "assignment": {"due_date": "2026-03-01T23:59:00.000000-08:00", "title": "NN from scratch"},
    "users": [{"email": "a@example.edu", "id": 7, "name": "Ada",
               "assignment": {"due_date": "2026-03-02T23:59:00.000000-08:00"}}],
}


def _harness(root: Path, config: str, metadata: dict | None) -> dict:
    autograder = root / "autograder"
    (root / "config.toml").write_text(config, encoding="utf-8")
    with zipfile.ZipFile(io.BytesIO(gradescope_bundle(root / "config.toml"))) as archive:
        archive.extractall(autograder / "source")
    shutil.copytree(REFERENCE_DIR, autograder / "submission", ignore=shutil.ignore_patterns("__pycache__"))
    if metadata is not None:
        (autograder / "submission_metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    venv_bin = autograder / "venv/bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "nngrade").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m nngrade "$@"\n', encoding="utf-8")
    (venv_bin / "nngrade").chmod(0o755)
    script = (autograder / "source/run_autograder").read_text(encoding="utf-8").replace("/autograder/",
                                                                                         f"{autograder}/")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NNGRADE_MNIST_DIR": os.environ.get("NNGRADE_MNIST_DIR", "")})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((autograder / "results/results.json").read_text(encoding="utf-8"))


def test_harness_shows_leaderboard_visibility_and_lateness(tmp_path):
    results = _harness(tmp_path, CONFIG, METADATA)
    assert list(Draft202012Validator(SCHEMA).iter_errors(results)) == []
    tests = results["tests"]
    by_id = {t.get("extra_data", {}).get("check_id"): t for t in tests}

    # Visibility: the configured one per check (a check's hidden twin follows it), the hidden default,
    # the hidden total as its own entry, and the autograder's stdout.
    assert by_id["forward.sigmoid"]["visibility"] == "after_published"
    assert by_id["forward.sigmoid.hidden"]["visibility"] == "after_published"
    assert by_id["forward.softmax.hidden"]["visibility"] == "after_due_date"
    assert by_id["forward.softmax"]["visibility"] == "visible"
    total = next(t for t in tests if t["name"] == "Hidden tests (total)")
    assert total["visibility"] == "visible" and "score" not in total
    hidden = [t for t in tests if t.get("extra_data", {}).get("check_id", "").endswith(".hidden")]
    earned, available = sum(t["score"] for t in hidden), sum(t["max_score"] for t in hidden)
    assert total["output"] == f"Hidden tests: {earned:g}/{available:g} points"
    assert results["stdout_visibility"] == "after_published"

    # Leaderboard: the MNIST accuracy and training time of the run.
    mnist = by_id["mnist.accuracy"]
    if os.path.isdir(os.environ.get("NNGRADE_MNIST_DIR", "")):
        assert mnist["extra_data"]["status"] == "passed", mnist["output"]
    if mnist["extra_data"]["status"] == "passed":
        board = {entry["name"]: entry for entry in results["leaderboard"]}
        assert set(board) == {"MNIST accuracy", "MNIST training time (s)"}
        assert 0.5 <= board["MNIST accuracy"]["value"] <= 1 and board["MNIST accuracy"]["order"] == "desc"
        assert board["MNIST training time (s)"]["value"] > 0 and board["MNIST training time (s)"]["order"] == "asc"
    else:  # no MNIST on this machine: the columns of a check that did not pass are left out
        assert results["leaderboard"] == []

    # Lateness: due 2026-03-02 23:59 (the extension), handed in 2026-03-04 10:00: 2 started days,
    # 10% a day; the score is the tests' sum less 20%.
    points = sum(t["score"] for t in tests if "score" in t)
    assert results["score"] == round(points * 0.8, 6)
    assert "Late: 2 days (gradescope), penalty 20%" in results["output"]


def test_harness_without_metadata_or_leaderboard(tmp_path):
    config = CONFIG.replace("leaderboard_enabled = true", "leaderboard_enabled = false").replace(
        'hidden_total = "visible"', "")
    results = _harness(tmp_path, config + '\n"mnist.accuracy" = { points = 0 }\n', None)
    assert "leaderboard" not in results
    assert next(t for t in results["tests"] if t["name"] == "Hidden tests (total)")["visibility"] == "after_published"
    assert results["score"] == sum(t["score"] for t in results["tests"] if "score" in t)
    assert "Late" not in results["output"]
