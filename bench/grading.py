"""Latency of grading the reference, and the grader's overhead over the code it grades.

Two cases are measured, because the grader keeps some results in memory
(replays of the training runs, loaded data) for later grades in the same
process:

``fresh``
    ``python -m graders grade`` in a new process, as an instructor or a
    student runs it once; figures come from its JSON report (``duration`` and
    the checks' durations), plus the process's wall time.
``warm``
    :func:`nngrade.engine.grading.grade` called again in one long-lived process, as
    ``nngrade batch`` does for every submission after the first.

Every repetition, in this order: the reference's own compute of the training
checks (in a long-lived one-thread child process, :mod:`bench.compute`), a
warm and a fresh grade with MNIST, the same compute again (the repetition's
compute is the mean of the two, so slow drifts in load cancel), warm and fresh
grades without MNIST, a fresh grade with 60,000 synthetic training images
(optional), and a new worker's start-up and protocol round trips. Medians are
taken over repetitions.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.child import ROOT, ChildServer
from nngrade.engine.config import load_config
from nngrade.engine.grading import grade, limits_from_config
from nngrade.loader import load_submission
from nngrade.sandbox import WorkerSession, probe_isolation

REFERENCE = ROOT / "reference"
TRAINING_CHECKS = ("xor.softmax_ce", "xor.mse", "xor.train_function", "mnist.accuracy")
ROUND_TRIPS = 200
#: Runs of the reference's compute just before and just after each repetition's grades.
COMPUTE_REPEATS = 2


def summarise(report: dict) -> dict:
    """Duration, set-up, per-family and per-check seconds of a report (``.hidden`` folded in)."""
    groups: dict[str, float] = defaultdict(float)
    checks: dict[str, float] = defaultdict(float)
    statuses = {}
    for check in report["checks"]:
        seconds = check.get("duration") or 0.0
        groups[check["group"]] += seconds
        checks[check["id"].removesuffix(".hidden")] += seconds
        statuses[check["id"]] = check["status"]
    return {"total": report["duration"], "setup": report["duration"] - sum(groups.values()),
            "groups": dict(groups), "checks": dict(checks), "statuses": statuses}


def grade_warm(mnist_dir: str) -> dict:
    """Grade the reference in this process; returns :func:`summarise` of the report."""
    return summarise(grade(REFERENCE, data_dir=mnist_dir).to_dict())


def grade_fresh(mnist_dir: str) -> dict:
    """Grade the reference with ``python -m graders grade`` in a new process."""
    with tempfile.TemporaryDirectory(prefix="nngrade-bench-") as folder:
        output = Path(folder) / "report.json"
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nngrade", "grade", str(REFERENCE), "--mnist-dir", mnist_dir,
                        "--format", "json", "-o", str(output)], check=True, capture_output=True, cwd=str(ROOT))
        wall = time.perf_counter() - began
        summary = summarise(json.loads(output.read_text()))
    summary["process_wall"] = wall
    return summary


def measure_worker(mnist_images: np.ndarray | None) -> dict:
    """Start a new worker for the reference and time hello, small calls and storing MNIST."""
    config = load_config(None)
    with tempfile.TemporaryDirectory(prefix="nngrade-bench-") as workdir:
        loaded = load_submission(REFERENCE, Path(workdir))
        isolation = probe_isolation("best-effort")
        began = time.perf_counter()
        with WorkerSession(loaded.module_dir, loaded.entry, limits=limits_from_config(config),
                           isolation=isolation) as session:
            session.hello()
            start = time.perf_counter() - began
            layer = session.new("Linear", 784, 128)
            trips, weights = [], []
            for _ in range(ROUND_TRIPS):
                tick = time.perf_counter()
                layer.get("b")
                trips.append(time.perf_counter() - tick)
            for _ in range(20):
                tick = time.perf_counter()
                layer.get("W")
                weights.append(time.perf_counter() - tick)
            store = None
            if mnist_images is not None:
                tick = time.perf_counter()
                session.store("mnist_x", mnist_images, scale=1 / 255)
                session.new("Sigmoid")  # the store's reply is read with the next request
                store = time.perf_counter() - tick
    return {"worker_start": start, "round_trip": statistics.median(trips),
            "get_784x128": statistics.median(weights), "store_mnist": store, "level": isolation.level}


def _record(runs: dict, case: str, label: str, summary: dict) -> None:
    runs[f"{case}.{label}.total"].append(summary["total"])
    runs[f"{case}.{label}.setup"].append(summary["setup"])
    if "process_wall" in summary:
        runs[f"{case}.{label}.process_wall"].append(summary["process_wall"])
    for group, seconds in summary["groups"].items():
        runs[f"{case}.{label}.group.{group}"].append(seconds)


def _record_overhead(runs: dict, case: str, summary: dict, compute: dict) -> None:
    wall = sum(summary["checks"].get(name, 0.0) for name in TRAINING_CHECKS)
    work = sum(compute[name] for name in TRAINING_CHECKS)
    runs[f"{case}.training_wall"].append(wall)
    if case == "fresh":
        runs["training_compute"].append(work)
    runs[f"{case}.overhead_training"].append((wall - work) / wall)
    runs[f"{case}.overhead_whole"].append((summary["total"] - work) / summary["total"])
    if "process_wall" in summary:
        # The floor: the compute the checks need (the other checks' compute counted as 0).
        runs[f"{case}.wall_over_floor"].append(summary["process_wall"] / work)
    for name in TRAINING_CHECKS:
        runs[f"{case}.wall.{name}"].append(summary["checks"].get(name, 0.0))
        if case == "fresh":
            runs[f"compute.{name}"].append(compute[name])


def measure_grading(directory: str, *, repeats: int, full_size_dir: str | None = None, progress=print) -> dict:
    """Grade the reference ``repeats`` times, fresh and warm, with and without MNIST, beside its compute.

    Parameters
    ----------
    directory : str
        The MNIST folder of the run (real, or the 10k synthetic stand-in).
    full_size_dir : str, optional
        A folder in the ``official-60k`` layout (synthetic): also grade with it
        (fresh) each repetition, to time the MNIST check at 60,000 training images.

    Returns
    -------
    dict
        ``medians`` and ``runs`` (per repetition), keyed ``<case>.<data>.total``,
        ``<case>.<data>.group.<family>``, ``<case>.wall.<check>``,
        ``compute.<check>``, ``<case>.overhead_training``, worker and protocol
        timings, with case ``fresh`` or ``warm`` and data ``mnist``, ``none``
        or ``full``; ``first_grade`` (the very first, which also computes the
        reference accuracy), ``isolation`` and ``not_passed`` check ids.
    """
    with tempfile.TemporaryDirectory(prefix="nngrade-bench-nomnist-") as empty:
        return _measure(directory, empty, repeats, full_size_dir, progress)


def _measure(directory: str, empty: str, repeats: int, full_size_dir: str | None, progress) -> dict:
    from nngrade.assignments.nn_from_scratch.data import load_mnist

    images = load_mnist(directory).x_train
    first = grade_fresh(directory)  # fills the on-disk reference-accuracy cache
    first_full = grade_fresh(full_size_dir) if full_size_dir else None
    grade_warm(directory)  # this process's in-memory caches, as after a batch's first submission
    runs: dict[str, list] = defaultdict(list)
    statuses: dict[str, str] = {}
    worker: dict = {}
    with ChildServer("check_compute", {"directory": directory}, threads=1) as server:
        for rep in range(repeats):
            progress(f"  grading repetition {rep + 1}/{repeats}")
            before = server.request({"repeats": COMPUTE_REPEATS})
            warm, fresh = grade_warm(directory), grade_fresh(directory)
            after = server.request({"repeats": COMPUTE_REPEATS})
            compute = {name: (before[name] + after[name]) / 2 for name in TRAINING_CHECKS}
            for case, summary in (("warm", warm), ("fresh", fresh)):
                _record(runs, case, "mnist", summary)
                _record_overhead(runs, case, summary, compute)
            _record(runs, "warm", "none", grade_warm(empty))
            _record(runs, "fresh", "none", grade_fresh(empty))
            if full_size_dir:
                _record(runs, "fresh", "full", grade_fresh(full_size_dir))
            worker = measure_worker(images)
            for key in ("worker_start", "round_trip", "get_784x128", "store_mnist"):
                runs[key].append(worker[key] or 0.0)
            statuses = {**warm["statuses"], **fresh["statuses"]}
    medians = {key: statistics.median(values) for key, values in runs.items()}
    return {"medians": medians, "runs": dict(runs), "first_grade": first["total"],
            "first_grade_full": first_full["total"] if first_full else None,
            "mnist_steps": before["mnist_steps"], "isolation": worker.get("level"),
            "not_passed": sorted(check for check, status in statuses.items() if status != "passed")}
