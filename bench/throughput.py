"""Batch throughput: submissions graded per minute by ``nngrade batch``.

Grades a folder of identical copies of the reference (each a package folder,
the plain layout) with ``--jobs 1``, ``--jobs 2`` and a two-worker Dask
``LocalCluster`` (what ``--scheduler local:2`` starts), repetitions
interleaved. The rate is submissions graded divided by the wall time of the
whole ``run_batch`` call, which includes discovery, hashing, writing reports
and gradebooks. The Dask cluster is started once, before the timed runs (its
start-up time is reported separately), and reached by its address.
"""
from __future__ import annotations

import contextlib
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.grading import REFERENCE

SETUPS = (("--jobs 1", {"jobs": 1}), ("--jobs 2", {"jobs": 2}), ("dask, 2 workers", {"dask": True}))
DASK_WORKERS = 2


def batch_api():
    """``nngrade.batch.run_batch``, or the reason it cannot be used."""
    try:
        from nngrade.batch import run_batch
    except ImportError as exc:
        return None, f"nngrade.batch is not available ({exc})"
    return run_batch, ""


def make_submissions(folder: Path, count: int) -> Path:
    """``count`` copies of the reference package as ``student_NNN/`` folders."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        shutil.copytree(REFERENCE, folder / f"student_{i:03d}", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def _infrastructure_message(results: Path, ident: str) -> str:
    """The first infrastructure-error message in a submission's report."""
    from nngrade.batch.store import ResultsStore
    from nngrade.engine.grading import INFRASTRUCTURE

    try:
        report = ResultsStore(results, create=False).load_report(ident)
    except (OSError, ValueError):
        return f"{ident}: infrastructure error (report unreadable)"
    for check in report["checks"]:
        if check["message"].startswith(INFRASTRUCTURE):
            return f"infrastructure error: {check['message'][:300]}"
    return f"{ident}: infrastructure error"


@contextlib.contextmanager
def dask_cluster(workers: int = DASK_WORKERS):
    """A started LocalCluster like ``--scheduler local:N`` (or None without Dask) and its start-up seconds."""
    from nngrade.batch.cluster import local_cluster

    try:
        import dask.distributed  # noqa: F401 - imported before the clock starts
    except ImportError:
        yield None, None
        return
    began = time.perf_counter()
    cluster = local_cluster(workers)
    seconds = time.perf_counter() - began
    try:
        yield cluster, seconds
    finally:
        cluster.close()


def measure_batch(directories: dict[str, str], *, count: int, repeats: int, progress=print) -> dict:
    """Submissions per minute for each setup and each MNIST folder.

    Parameters
    ----------
    directories : dict
        Label -> MNIST folder, e.g. ``{"with MNIST": dir, "without MNIST": empty_dir}``.

    Returns
    -------
    dict
        ``{"available": bool, "reason": str, "dask_start_seconds": float or None,
        "rows": [{"setup", "data", "submissions", "per_minute", "runs", "errors"}, ...]}``
    """
    run_batch, reason = batch_api()
    if run_batch is None:
        return {"available": False, "reason": reason, "rows": []}
    scratch = Path(tempfile.mkdtemp(prefix="nngrade-bench-batch-"))
    with dask_cluster() as (cluster, start_seconds):
        try:
            return _measure(run_batch, cluster, start_seconds, scratch, directories, count, repeats, progress)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _measure(run_batch, cluster, start_seconds, scratch, directories, count, repeats, progress) -> dict:
    def options_of(options: dict) -> dict | None:
        if not options.get("dask"):
            return options
        return None if cluster is None else {"scheduler": cluster.scheduler_address}

    submissions = make_submissions(scratch / "submissions", count)
    warm = make_submissions(scratch / "warm-up", 1)
    for folder in directories.values():  # imports and the reference-accuracy cache, untimed
        for _, options in SETUPS:
            if options_of(options) is not None:
                run_batch(warm, scratch / "warm-up-results", force=True, progress=False, mnist_dir=folder,
                          **options_of(options))
    cases = [(setup, options, label, folder) for label, folder in directories.items() for setup, options in SETUPS]
    rates = {(setup, label): [] for setup, _, label, _ in cases}
    problems = {(setup, label): [] for setup, _, label, _ in cases}
    for rep in range(repeats):
        progress(f"  batch repetition {rep + 1}/{repeats}")
        shift = rep % len(cases)
        for index, (setup, options, label, folder) in enumerate(cases[shift:] + cases[:shift]):
            if options_of(options) is None:
                problems[(setup, label)] = ["Dask is not installed (pip install 'nngrade[dask]')"]
                continue
            results = scratch / f"results-{rep}-{index}"
            try:
                summary = run_batch(submissions, results, force=True, progress=False, mnist_dir=folder,
                                    **options_of(options))
                problems[(setup, label)] += [_infrastructure_message(results, i)
                                             for i in summary.infrastructure_errors]
            except Exception as exc:  # noqa: BLE001 - report any failure of a setup as a row
                problems[(setup, label)].append(f"{type(exc).__name__}: {exc}")
                continue
            finally:
                shutil.rmtree(results, ignore_errors=True)
            rates[(setup, label)].append(60.0 * len(summary.graded) / summary.seconds)
    rows = [{"setup": setup, "data": label, "submissions": count,
             "per_minute": statistics.median(rates[(setup, label)]) if rates[(setup, label)] else None,
             "runs": rates[(setup, label)], "errors": sorted(set(problems[(setup, label)]))[:5]}
            for setup, _, label, _ in cases]
    return {"available": True, "reason": "", "rows": rows, "dask_start_seconds": start_seconds}
