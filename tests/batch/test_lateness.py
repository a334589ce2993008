"""Lateness and the late policy: computed, carried into the report, the renderers and the gradebooks."""
from __future__ import annotations

import csv
import json
import os
from datetime import datetime, timedelta, timezone

import pytest
from submissions import reference_source, write_submission

from nngrade.batch.lateness import (
    LatenessError,
    LatePolicy,
    from_flag,
    from_gradescope_metadata,
    from_modification_time,
    lateness,
)
from nngrade.batch.runner import run_batch
from nngrade.render.validate import validate_report

DUE = datetime(2026, 3, 1, 23, 59, tzinfo=timezone.utc)
POLICY = LatePolicy(due=DUE.isoformat(), grace_minutes=15, penalty_per_day=0.1, max_penalty=0.25)


@pytest.mark.parametrize("after, days, penalty", [
    (timedelta(minutes=-5), 0, 0.0),          # on time
    (timedelta(minutes=14), 0, 0.0),          # within the grace period
    (timedelta(minutes=16), 1, 0.1),          # past grace: one started day
    (timedelta(days=1, seconds=1), 2, 0.2),
    (timedelta(days=9), 9, 0.25),             # capped
])
def test_days_and_penalty(after, days, penalty):
    record = lateness(DUE + after, DUE, POLICY, "due_date")
    assert (record["days_late"], record["penalty"], record["late"]) == (days, penalty, days > 0)


def test_gradescope_metadata_uses_the_extension(tmp_path):
    path = tmp_path / "submission_metadata.json"
    path.write_text(json.dumps({"created_at": "2026-03-03T10:00:00-08:00",
                                "assignment": {"due_date": "2026-03-01T23:59:00-08:00"},
                                "users": [{"assignment": {"due_date": "2026-03-03T09:00:00-08:00"}}]}))
    record = from_gradescope_metadata(path, POLICY)
    assert (record["source"], record["days_late"], record["penalty"]) == ("gradescope", 1, 0.1)
    path.write_text("{not json")
    with pytest.raises(LatenessError, match="cannot read the submission metadata"):
        from_gradescope_metadata(path, POLICY)


def test_plain_file_against_the_due_date(tmp_path):
    path = write_submission(tmp_path, "alice.py", "x = 1\n")
    when = (DUE + timedelta(days=2, hours=1)).timestamp()
    os.utime(path, (when, when))
    assert from_modification_time(path, POLICY)["days_late"] == 3
    assert from_modification_time(path, LatePolicy()) == {}  # no due date, nothing known
    assert from_flag(POLICY) | {"source": "canvas"} == from_flag(POLICY)
    assert from_flag(POLICY)["days_late"] == 1


def _gradebook(results):
    with open(results / "grades.csv", newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def test_batch_gradebooks_carry_lateness(tmp_path, fast_config, no_mnist):
    config = tmp_path / "late.toml"
    config.write_text(fast_config.read_text() + f'\n[late]\ndue = "{DUE.isoformat()}"\npenalty_per_day = 0.1\n'
                      "max_penalty = 0.25\n")
    canvas, plain = tmp_path / "canvas", tmp_path / "plain"
    source = reference_source()
    write_submission(canvas, "ada_LATE_101_9001_nn.py", source)
    write_submission(canvas, "bob_102_9002_nn.py", source)
    late_file, on_time = write_submission(plain, "carol.py", source), write_submission(plain, "dan.py", source)
    for path, moment in ((late_file, DUE + timedelta(days=1, hours=3)), (on_time, DUE - timedelta(hours=1))):
        os.utime(path, (moment.timestamp(), moment.timestamp()))

    for folder in (canvas, plain):
        results = tmp_path / f"results-{folder.name}"
        summary = run_batch(folder, results, config_path=config, mnist_dir=no_mnist, jobs=2, progress=False)
        assert summary.infrastructure_errors == []
        for report_file in (results / "reports").glob("*.json"):
            validate_report(json.loads(report_file.read_text()))
    rows = {**_gradebook(tmp_path / "results-canvas"), **_gradebook(tmp_path / "results-plain")}
    assert (rows["101"]["days_late"], rows["101"]["late_penalty"]) == ("1", "0.1")
    assert (rows["carol"]["days_late"], rows["carol"]["late_penalty"]) == ("2", "0.2")
    assert (rows["102"]["days_late"], rows["dan"]["days_late"]) == ("", "0")
    assert float(rows["101"]["total_after_penalty"]) == pytest.approx(0.9 * float(rows["101"]["total"]))
    assert float(rows["carol"]["total_after_penalty"]) == pytest.approx(0.8 * float(rows["carol"]["total"]))
    assert rows["dan"]["total_after_penalty"] == rows["dan"]["total"]
    with open(tmp_path / "results-canvas/grades_canvas.csv", newline="") as handle:
        canvas_scores = {row["ID"]: row for row in csv.DictReader(handle)}
    assert float(list(canvas_scores["101"].values())[-1]) == pytest.approx(float(rows["101"]["total_after_penalty"]))
    report = json.loads((tmp_path / "results-plain/reports/carol.json").read_text())
    assert report["lateness"]["source"] == "due_date" and report["lateness"]["late"] is True
