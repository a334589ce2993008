"""A class of 50+ submissions (correct, buggy, hostile) grades to a complete, consistent gradebook."""
from __future__ import annotations

import json
import shutil

from submissions import REFERENCE_DIR

from nngrade.batch import run_batch
from nngrade.batch.gradebook import LEADING, TRAILING
from nngrade.render import validate_report

from ._support import make_class, read_csv


def by_id(reports_dir):
    return {p.stem: json.loads(p.read_text()) for p in reports_dir.glob("*.json")}


def status_of(report, check_id):
    return next(c["status"] for c in report["checks"] if c["id"] == check_id)


def test_class_of_fifty_grades_to_a_complete_gradebook(tmp_path, fast_config, no_mnist):
    submissions, results = tmp_path / "submissions", tmp_path / "results"
    kinds = make_class(submissions, correct=40)
    shutil.copytree(REFERENCE_DIR.parent / "student_template", submissions / "template")
    kinds["template"] = "template"
    (submissions / "notes.txt").write_text("not a submission")
    assert len(kinds) >= 50

    summary = run_batch(submissions, results, config_path=fast_config, mnist_dir=no_mnist, jobs=2, progress=False)

    assert sorted(summary.graded) == sorted(kinds) and summary.infrastructure_errors == []
    assert any("notes.txt" in w for w in summary.warnings)
    reports = by_id(results / "reports")
    assert set(reports) == set(kinds)
    for report in reports.values():
        validate_report(report)

    best = max(r["totals"]["score"] for r in reports.values())
    for ident, kind in kinds.items():
        report = reports[ident]
        lost = {c["id"] for c in report["checks"] if c["status"] != "passed" and c["group"] != "mnist"}
        if kind == "correct":
            assert lost == set() and report["totals"]["score"] == best, ident
        elif kind.startswith("bug:"):
            assert lost and report["totals"]["score"] < best, ident
        elif kind in ("syntax", "exit_import", "loop_import"):
            assert report["totals"]["score"] == 0, ident
    assert reports["syntax"]["submission"]["error"].startswith("SyntaxError")
    assert status_of(reports["exit_import"], "api.conformance") == "error"
    assert status_of(reports["loop_call"], "forward.mse") == "timeout"
    assert status_of(reports["loop_call"], "forward.softmax") == "passed"
    assert status_of(reports["loop_import"], "api.conformance") == "error"
    assert status_of(reports["template"], "forward.softmax") != "passed"
    assert reports["template"]["totals"]["score"] < best

    header, rows = read_csv(results / "grades.csv")
    check_ids = [c["id"] for c in reports["ok000"]["checks"]]
    assert header == LEADING + check_ids + TRAILING
    assert [row["id"] for row in rows] == sorted(kinds)
    for row in rows:
        report = reports[row["id"]]
        assert float(row["total"]) == report["totals"]["score"]
        assert float(row["max"]) == report["totals"]["max_score"]
        assert sum(float(row[c]) for c in check_ids) == report["totals"]["score"]
    assert {row["id"]: row["status"] for row in rows}["syntax"] == "not_loaded"
    assert {row["id"]: row["status"] for row in rows}["exit_import"] == "not_imported"
    assert {row["id"]: row["status"] for row in rows}["loop_import"] == "not_imported"
    assert reports["exit_import"]["submission"]["import_error"].startswith("SystemExit")
    assert {row["status"] for row in rows} <= {"graded", "not_loaded", "not_imported"}

    lines = (results / "reports.jsonl").read_text().splitlines()
    assert [json.loads(line)["submission"]["id"] for line in lines] == sorted(kinds)
    assert [json.loads(line) for line in lines] == [reports[i] for i in sorted(kinds)]

    # A second run finds every report current and rewrites none of them.
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (results / "reports").glob("*.json")}
    again = run_batch(submissions, results, config_path=fast_config, mnist_dir=no_mnist, jobs=2, progress=False)
    assert again.graded == [] and sorted(again.skipped) == sorted(kinds)
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (results / "reports").glob("*.json")} == before
    assert read_csv(results / "grades.csv")[1] == rows
