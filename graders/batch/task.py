"""The unit of batch work: grade one submission, anywhere, without ever raising.

:func:`run_job` runs in a thread, a worker process or on a Dask worker. It
claims a sandbox slot of its machine, calls :func:`nngrade.engine.grading.grade` and
returns the canonical report as plain JSON data. A failure of the grading
machinery itself (no free slot, a bug, an unusable sandbox) becomes a report
whose every check is an ``error`` with the engine's "grader infrastructure
error" message, and is retried once with another slot first.
"""
from __future__ import annotations

import os
import platform
import random
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from nngrade.sandbox.host.workspace import MAX_SLOTS

#: Submissions up to this size are sent to Dask workers with the task.
SHIP_LIMIT = 64 << 20


@dataclass
class Job:
    """Everything a worker needs to grade one submission.

    Parameters
    ----------
    id : str
        Submission id.
    path : str
        Path of the submission on the machine that planned the batch.
    config : dict
        The loaded assignment configuration.
    mode, seed, mnist_dir, sandbox
        As for :func:`nngrade.engine.grading.grade`.
    files : list of (str, bytes), optional
        The submission's regular files (relative paths; ``"."`` for a single
        file) when it travels with the task to another machine.
    """

    id: str
    path: str
    config: dict
    mode: str = "grade"
    seed: int | None = None
    mnist_dir: str | None = None
    sandbox: str = "best-effort"
    files: list[tuple[str, bytes]] | None = field(default=None, repr=False)


def pack_files(path: Path) -> list[tuple[str, bytes]] | None:
    """The regular files of a submission for shipping, or None when too large or unreadable.

    Symbolic links and special files are left out (the loader skips them anyway).
    """
    path = Path(path)
    try:
        if path.is_file():
            return [(".", path.read_bytes())] if path.stat().st_size <= SHIP_LIMIT else None
        files, total = [], 0
        for folder, dirs, names in os.walk(path):
            dirs.sort()
            for name in sorted(names):
                full = Path(folder) / name
                if full.is_symlink() or not full.is_file():
                    continue
                total += full.stat().st_size
                if total > SHIP_LIMIT:
                    return None
                files.append((full.relative_to(path).as_posix(), full.read_bytes()))
        return files
    except OSError:
        return None


def _unpack(job: Job, workdir: Path) -> Path:
    """Recreate a shipped submission under ``workdir`` with its original base name."""
    target = workdir / Path(job.path).name
    if job.files and job.files[0][0] == ".":
        target.write_bytes(job.files[0][1])
        return target
    target.mkdir()
    for relative, data in job.files or []:
        file = target / relative
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data)
    return target


def is_infrastructure_failure(report: dict) -> bool:
    """True when a canonical report records a failure of the grading machinery."""
    from nngrade.engine.grading import INFRASTRUCTURE

    return any(c.get("message", "").startswith(INFRASTRUCTURE) for c in report.get("checks", []))


def run_job(job: Job) -> dict:
    """Grade ``job`` and return ``{"id": ..., "report": <canonical report dict>}``; never raises."""
    with tempfile.TemporaryDirectory(prefix="nngrade-job-") as workdir:
        path = _unpack(job, Path(workdir)) if job.files is not None else Path(job.path)
        report, problem = None, ""
        for attempt in range(2):
            # The sandbox reserves a free slot (its own uid) under a lock, so concurrent jobs never
            # share one; a retry prefers a random high slot, away from the one that just failed.
            slot = None if attempt == 0 else random.randrange(MAX_SLOTS // 2, MAX_SLOTS)
            try:
                report, problem = _grade(job, path, slot), ""
            except Exception as exc:  # noqa: BLE001 - any failure here is the grader's, not the student's
                report, problem = None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}"
                continue
            if not is_infrastructure_failure(report):
                break
        return {"id": job.id, "report": report if report is not None else infrastructure_report(job, problem)}


def _grade(job: Job, path: Path, slot: int | None) -> dict:
    from nngrade.engine.grading import grade
    from nngrade.render.json_report import report_dict

    report = grade(path, mode=job.mode, config=job.config, seed=job.seed, data_dir=job.mnist_dir,
                   sandbox=job.sandbox, submission_id=job.id, slot=slot)
    report.submission.path = job.path
    return report_dict(report)


def infrastructure_report(job: Job, problem: str) -> dict:
    """A complete, valid report whose every check is an infrastructure ``error`` explaining ``problem``."""
    import numpy as np

    from nngrade import __version__
    from nngrade.engine.fixture_store import fixtures_dir, manifest, manifest_sha256
    from nngrade.engine.grading import INFRASTRUCTURE, selected_checks
    from nngrade.render.json_report import report_dict
    from nngrade.results import CheckResult, Report, SubmissionInfo

    try:
        folder = fixtures_dir()
        fixtures = {"version": manifest(folder)["version"], "manifest_sha256": manifest_sha256(folder)}
    except Exception:  # noqa: BLE001 - the fixtures may be what is broken
        fixtures = {"version": "", "manifest_sha256": ""}
    report = Report(
        submission=SubmissionInfo(id=job.id, path=job.path), mode=job.mode, kit_version=__version__,
        fixtures=fixtures,
        environment={"python": platform.python_version(), "numpy": np.__version__, "platform": platform.platform(),
                     "sandbox": {"level": "off", "features": {}, "notes": ["the sandbox was not started"]}})
    report.checks = [CheckResult(id=spec.id, name=spec.name, group=spec.group, points=0.0, max_points=points,
                                 status="error", visibility=visibility, message=INFRASTRUCTURE + problem.strip())
                     for spec, points, visibility in selected_checks(job.config, job.mode)]
    return report_dict(report)
