"""Grade a folder of submissions into a results folder, in parallel and resumably."""
from __future__ import annotations

import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from nngrade.batch.analytics import submission_status
from nngrade.batch.discover import Submission, detect_layout, discover
from nngrade.batch.gradebook import rebuild_outputs
from nngrade.batch.store import ResultsStore, grading_key
from nngrade.batch.task import Job, pack_files, run_job

EXECUTORS = ("thread", "process")


@dataclass
class BatchSummary:
    """What a batch run did.

    Attributes
    ----------
    total : int
        Submissions found.
    graded : list of str
        Ids graded in this run.
    skipped : list of str
        Ids whose existing report was still current.
    infrastructure_errors : list of str
        Ids whose report records a failure of the grading machinery.
    warnings : list of str
        Entries of the submissions folder that were not graded, and why.
    seconds : float
        Wall-clock time of the run.
    layout : str
        The layout of the submissions folder (detected, or forced with ``layout``).
    """

    total: int = 0
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    infrastructure_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    layout: str = ""


def submission_sha256(path: Path) -> str:
    """The sha256 the loader would record for ``path`` (empty when it cannot be read)."""
    from nngrade.loader import load_submission

    with tempfile.TemporaryDirectory(prefix="nngrade-hash-") as workdir:
        return load_submission(path, workdir).info.sha256


def run_batch(submissions_dir, results_dir, *, config: dict | None = None, config_path=None, jobs: int = 2,
              force: bool = False, scheduler: str | None = None, mnist_dir=None, sandbox: str = "best-effort",
              seed: int | None = None, executor: str = "thread", feedback_pages: bool = False,
              canvas_assignment: str | None = None, progress: bool = True, layout: str | None = None,
              announce=None) -> BatchSummary:
    """Grade every submission in ``submissions_dir``; write reports and gradebooks to ``results_dir``.

    Parameters
    ----------
    submissions_dir : path
        Folder in one of the layouts of :mod:`nngrade.batch.discover`.
    results_dir : path
        Results folder (see :mod:`nngrade.batch.store`); created when missing.
    config, config_path
        Loaded configuration or a TOML file (defaults when neither).
    jobs : int
        Submissions graded at once on this machine (ignored with ``scheduler``).
    force : bool
        Regrade submissions whose report is current.
    scheduler : str, optional
        ``tcp://HOST:PORT`` or ``local:N``: grade on a Dask cluster.
    mnist_dir, sandbox, seed
        As for :func:`nngrade.engine.grading.grade`.
    executor : {"thread", "process"}
        How local jobs run concurrently.
    feedback_pages : bool
        Also write ``feedback/<id>.html`` for every report.
    canvas_assignment : str, optional
        Score column header of ``grades_canvas.csv`` (default: the assignment name).
    layout : str, optional
        Force a layout of :mod:`nngrade.batch.discover` instead of detecting it.
    announce : callable, optional
        ``announce(text)`` receives what discovery saw (layout, count, ignored entries) before grading.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    BatchSummary

    Raises
    ------
    DiscoveryError
        When the submissions folder cannot be read.
    SchedulerError
        When ``scheduler`` is malformed or unreachable.
    SandboxUnavailable
        With ``sandbox="strict"`` on a machine without namespace isolation, and on a system without
        the (Linux) isolation levels unless ``sandbox="off"``.
    """
    from nngrade.batch.lateness import LatePolicy, apply_to_report_dict, of_submission
    from nngrade.engine.config import load_config
    from nngrade.sandbox import precheck_mode, probe_isolation

    started = time.perf_counter()
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}, got {executor!r}")
    config = config or load_config(config_path)
    if scheduler:
        from nngrade.batch.cluster import parse_scheduler

        parse_scheduler(scheduler)  # a malformed value fails before any work
    if (sandbox == "strict" or precheck_mode(sandbox) != sandbox) and scheduler is None:
        probe_isolation(sandbox)  # refuse now rather than once per submission (strict, or not Linux)
    store = ResultsStore(Path(results_dir))
    if layout is None and Path(submissions_dir).is_dir():
        layout = detect_layout(Path(submissions_dir))
    found, warnings = discover(Path(submissions_dir), store.root / "staging", layout)
    if announce is not None:
        announce(f"layout: {layout}; {len(found)} submissions found in {submissions_dir}")
        for warning in warnings:
            announce(f"warning: {warning}")
    store.save_roster([{"id": s.id, "layout": s.layout, "path": str(s.path), "student": s.student} for s in found])
    key = grading_key(config, mode="grade", seed=seed, mnist_dir=mnist_dir, sandbox=sandbox)
    summary = BatchSummary(total=len(found), warnings=warnings, layout=layout or "")
    pending: list[tuple[Submission, str]] = []
    for sub in found:
        sha = submission_sha256(sub.path)
        if not force and store.is_current(sub.id, sha, key):
            summary.skipped.append(sub.id)
        else:
            pending.append((sub, sha))
    shas = {sub.id: sha for sub, sha in pending}
    policy = LatePolicy.from_config(config)
    late = {sub.id: of_submission(sub.path, sub.layout, sub.late, policy) for sub, _ in pending}
    job_list = [Job(id=sub.id, path=str(sub.path), config=config, seed=seed,
                    mnist_dir=None if mnist_dir is None else str(mnist_dir), sandbox=sandbox,
                    files=pack_files(sub.path) if scheduler else None) for sub, _ in pending]
    with _ProgressBar(progress, len(job_list)) as advance:
        def done(result: dict) -> None:
            report = apply_to_report_dict(result["report"], late[result["id"]])
            store.save(result["id"], report, key, shas[result["id"]])
            summary.graded.append(result["id"])
            if submission_status(report) == "infrastructure_error":
                summary.infrastructure_errors.append(result["id"])
            advance(result["id"])

        if scheduler:
            from nngrade.batch.cluster import dask_client, run_on_dask

            with dask_client(scheduler) as client:
                run_on_dask(client, job_list, done)
        else:
            _run_local(job_list, done, jobs=jobs, executor=executor)
    reports = rebuild_outputs(store, assignment=canvas_assignment or config["assignment"]["name"])
    if feedback_pages:
        from nngrade.batch.pages import write_feedback_pages

        write_feedback_pages(store, jobs=jobs, reports=reports, hints=config["feedback"]["hints"])
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _run_local(job_list: list[Job], done: Callable[[dict], None], *, jobs: int, executor: str) -> None:
    if not job_list:
        return
    if jobs <= 1:
        for job in job_list:
            done(run_job(job))
        return
    if executor == "process":
        import multiprocessing

        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
    else:
        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="nngrade-batch")
    with pool:
        futures = {pool.submit(run_job, job): job for job in job_list}
        try:
            for future in as_completed(futures):
                done(future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise


class _ProgressBar:
    """Context manager yielding ``advance(description)``; a no-op when disabled."""

    def __init__(self, enabled: bool, total: int):
        self.enabled, self.total, self.progress = enabled and total > 0, total, None

    def __enter__(self) -> Callable[[str], None]:
        if not self.enabled:
            return lambda _ident: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 TimeRemainingColumn(), TextColumn("{task.description}"),
                                 console=Console(stderr=True), transient=False)
        self.progress.start()
        task = self.progress.add_task("", total=self.total)
        return lambda ident: self.progress.update(task, advance=1, description=ident)

    def __exit__(self, *exc_info) -> None:
        if self.progress is not None:
            self.progress.stop()
