"""Batch grading throughput, measured side by side in one run.

Usage::

    python bench/batch.py [--submissions 40] [--repeats 1] [--skip-dask]

Grades the same generated batch (correct and buggy submissions; MNIST off)
several ways and prints submissions per minute and the ratios:

* ``--jobs 1`` vs ``--jobs 2`` with threads, and ``--jobs 2`` with processes;
* a Dask LocalCluster of 1 worker vs 2 workers (cluster start-up excluded:
  both clusters are started first and each batch connects to its address).

With ``--repeats N`` the configurations take turns N times and the best time
of each is kept, which damps the effect of other load on the machine.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from submissions import mutated_source, reference_source, write_submission  # noqa: E402

from nngrade.batch import run_batch  # noqa: E402
from nngrade.batch.cluster import local_cluster  # noqa: E402

BUGS = [
    ("return as_float_array(grad_y) * y * (1.0 - y)", "return as_float_array(grad_y) * y"),
    ("param -= lr * grad", "param += lr * grad"),
]


def make_batch(folder: Path, count: int) -> None:
    """``count`` submissions: three in four correct, the rest with one of :data:`BUGS`."""
    for i in range(count):
        source = mutated_source(BUGS[(i // 4) % len(BUGS)]) if i % 4 == 3 else reference_source()
        write_submission(folder, f"student{i:03d}.py", source)


def timed(label: str, submissions: Path, work: Path, count: int, **options) -> float:
    results = Path(tempfile.mkdtemp(dir=work, prefix="results-"))
    started = time.perf_counter()
    summary = run_batch(submissions, results, mnist_dir=work / "no-mnist", progress=False, **options)
    seconds = time.perf_counter() - started
    assert len(summary.graded) == count and not summary.infrastructure_errors, summary
    print(f"  {label:<34} {seconds:7.1f} s  {60 * count / seconds:7.1f} submissions/min", flush=True)
    return seconds


def best_of(repeats: int, runs: dict, submissions: Path, work: Path, count: int) -> dict[str, float]:
    """Run every configuration of ``runs`` (label -> options) in turn, ``repeats`` times; best time of each."""
    best: dict[str, float] = {}
    for round_ in range(repeats):
        print(f"round {round_ + 1}/{repeats}")
        for label, options in runs.items():
            seconds = timed(label, submissions, work, count, **options)
            best[label] = min(best.get(label, seconds), seconds)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nngrade-bench-") as tmp:
        work = Path(tmp)
        (work / "no-mnist").mkdir()
        submissions = work / "submissions"
        make_batch(submissions, args.submissions)
        n = args.submissions
        print(f"{n} submissions (MNIST off)")
        runs = {"local --jobs 1": dict(jobs=1), "local --jobs 2 (threads)": dict(jobs=2, executor="thread"),
                "local --jobs 2 (processes)": dict(jobs=2, executor="process")}
        clusters = []
        if not args.skip_dask:
            for workers in (1, 2):
                cluster = local_cluster(workers)
                clusters.append(cluster)
                runs[f"dask LocalCluster, {workers} worker(s)"] = dict(scheduler=cluster.scheduler_address)
        try:
            best = best_of(args.repeats, runs, submissions, work, n)
        finally:
            for cluster in clusters:
                cluster.close()
        print(f"best of {args.repeats}:")
        for label, seconds in best.items():
            print(f"  {label:<34} {seconds:7.1f} s  {60 * n / seconds:7.1f} submissions/min")
        one = best["local --jobs 1"]
        print(f"speed-up --jobs 2 threads / --jobs 1:   {one / best['local --jobs 2 (threads)']:.2f}x")
        print(f"speed-up --jobs 2 processes / --jobs 1: {one / best['local --jobs 2 (processes)']:.2f}x")
        if clusters:
            ratio = best["dask LocalCluster, 1 worker(s)"] / best["dask LocalCluster, 2 worker(s)"]
            print(f"speed-up dask 2 workers / 1 worker:     {ratio:.2f}x")


if __name__ == "__main__":
    main()
