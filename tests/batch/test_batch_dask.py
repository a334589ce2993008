"""The same batch on a 2-worker local Dask cluster gives the same reports as --jobs 1 (default config)."""
from __future__ import annotations

import json
import shutil

import pytest
from submissions import REFERENCE_DIR

from nngrade.batch import run_batch
from nngrade.batch.cluster import SchedulerError, parse_scheduler

from ._support import BUGS, make_class, notebook_source

pytest.importorskip("dask.distributed")


def without_timings(report: dict) -> dict:
    report = json.loads(json.dumps(report))
    report["duration"] = 0
    for check in report["checks"]:
        check["duration"] = 0
    return report


def reports(results) -> dict[str, dict]:
    return {p.stem: without_timings(json.loads(p.read_text())) for p in (results / "reports").glob("*.json")}


def test_local_cluster_of_two_matches_one_job(tmp_path, no_mnist):
    submissions = tmp_path / "submissions"
    make_class(submissions, correct=2, buggy_each=0, hostile=False)
    correct = (submissions / "ok000.py").read_text()
    (submissions / "bug.py").write_text(correct.replace(*BUGS["db_mean"]))
    (submissions / "broken.py").write_text("def f(:\n")
    (submissions / "nb.ipynb").write_text(notebook_source(correct))
    shutil.copytree(REFERENCE_DIR, submissions / "package")

    local = run_batch(submissions, tmp_path / "local", mnist_dir=no_mnist, jobs=1, progress=False)
    dask = run_batch(submissions, tmp_path / "dask", mnist_dir=no_mnist, scheduler="local:2", progress=False)

    assert local.infrastructure_errors == [] and dask.infrastructure_errors == []
    assert sorted(dask.graded) == sorted(local.graded) and len(local.graded) == 6
    assert reports(tmp_path / "dask") == reports(tmp_path / "local")
    assert (tmp_path / "dask" / "grades.csv").read_text() == (tmp_path / "local" / "grades.csv").read_text()


@pytest.mark.parametrize("spec, expected", [("local:2", ("local", 2)),
                                            ("tcp://10.0.0.5:8786", ("address", "tcp://10.0.0.5:8786"))])
def test_scheduler_specs(spec, expected):
    assert parse_scheduler(spec) == expected


@pytest.mark.parametrize("spec", ["local:0", "local:x", "10.0.0.5:8786", ""])
def test_bad_scheduler_specs(spec):
    with pytest.raises(SchedulerError):
        parse_scheduler(spec)
