"""Batch grading throughput, measured side by side in one run.

Usage::

    python bench/batch.py [--submissions 40] [--repeats 1] [--skip-dask]

Grades the same generated batch (correct and buggy submissions; MNIST off)
several ways and prints submissions per minute and the ratios:

* ``--jobs 1`` vs ``--jobs 2`` with threads, and ``--jobs 2`` with processes;
* a Dask LocalCluster of 1 worker vs 2 workers (cluster start-up excluded:
  both clusters are started first and each batch connects to its address);
* ``--scheduler local:2`` as the command line runs it (its cluster started and
  closed inside the timed call);
* a ``tcp://`` scheduler with two separate ``dask worker`` processes (``dask
  scheduler`` and ``dask worker`` started once as their own processes, and
  terminated at the end).

With ``--repeats N`` the configurations take turns N times (the order rotated
each round) and the median of each is kept; the ratios are to ``--jobs 1``.
``--mnist-dir DIR`` grades MNIST too.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
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


def timed(label: str, submissions: Path, work: Path, count: int, mnist_dir=None, **options) -> float:
    results = Path(tempfile.mkdtemp(dir=work, prefix="results-"))
    started = time.perf_counter()
    summary = run_batch(submissions, results, mnist_dir=mnist_dir or work / "no-mnist", progress=False, **options)
    seconds = time.perf_counter() - started
    assert len(summary.graded) == count and not summary.infrastructure_errors, summary
    print(f"  {label:<34} {seconds:7.1f} s  {60 * count / seconds:7.1f} submissions/min", flush=True)
    return seconds


def median_of(repeats: int, runs: dict, submissions: Path, work: Path, count: int, mnist_dir) -> dict[str, float]:
    """Run every configuration of ``runs`` (label -> options) in turn, ``repeats`` times; median of each."""
    times: dict[str, list[float]] = {label: [] for label in runs}
    labels = list(runs)
    for round_ in range(repeats):
        print(f"round {round_ + 1}/{repeats}")
        for label in labels[round_ % len(labels):] + labels[:round_ % len(labels)]:
            times[label].append(timed(label, submissions, work, count, mnist_dir, **runs[label]))
    return {label: statistics.median(values) for label, values in times.items()}


class SeparateCluster:
    """``dask scheduler`` and two ``dask worker`` processes on this machine, each in its own process group."""

    def __init__(self, work: Path, workers: int = 2):
        dask = Path(sys.executable).with_name("dask")
        self.file = work / "scheduler.json"
        self.processes = [self._start([str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                       "--no-dashboard", "--scheduler-file", str(self.file)], work / "scheduler.log")]
        deadline = time.monotonic() + 120
        while not self.file.exists():
            if time.monotonic() > deadline or self.processes[0].poll() is not None:
                self.close()
                raise RuntimeError("dask scheduler did not start: " + (work / "scheduler.log").read_text()[-2000:])
            time.sleep(0.2)
        for i in range(workers):
            self.processes.append(self._start([str(dask), "worker", "--scheduler-file", str(self.file),
                                               "--nthreads", "1", "--no-dashboard"], work / f"worker{i}.log"))
        from dask.distributed import Client

        with Client(scheduler_file=str(self.file), timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        self.address = json.loads(self.file.read_text())["address"]

    @staticmethod
    def _start(command: list[str], log: Path) -> subprocess.Popen:
        with log.open("wb") as out:
            return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def close(self) -> None:
        for process in reversed(self.processes):
            for sig, wait in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 10.0)):
                if process.poll() is not None:
                    break
                try:
                    os.killpg(process.pid, sig)
                    process.wait(timeout=wait)
                except ProcessLookupError:
                    break
                except subprocess.TimeoutExpired:
                    continue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--mnist-dir", help="grade MNIST from this folder (default: MNIST off)")
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nngrade-bench-") as tmp:
        work = Path(tmp)
        (work / "no-mnist").mkdir()
        submissions = work / "submissions"
        make_batch(submissions, args.submissions)
        n = args.submissions
        print(f"{n} submissions (MNIST {'from ' + args.mnist_dir if args.mnist_dir else 'off'}); "
              f"load average {os.getloadavg()[0]:.1f}")
        runs = {"local --jobs 1": dict(jobs=1), "local --jobs 2 (threads)": dict(jobs=2, executor="thread"),
                "local --jobs 2 (processes)": dict(jobs=2, executor="process")}
        clusters, separate = [], None
        try:
            if not args.skip_dask:
                for workers in (1, 2):
                    cluster = local_cluster(workers)
                    clusters.append(cluster)
                    runs[f"dask LocalCluster, {workers} worker(s)"] = dict(scheduler=cluster.scheduler_address)
                runs["--scheduler local:2 (start included)"] = dict(scheduler="local:2")
                separate = SeparateCluster(work)
                runs["tcp:// scheduler, 2 dask worker processes"] = dict(scheduler=separate.address)
            medians = median_of(args.repeats, runs, submissions, work, n, args.mnist_dir)
        finally:
            for cluster in clusters:
                cluster.close()
            if separate is not None:
                separate.close()
        one = medians["local --jobs 1"]
        print(f"median of {args.repeats} (load average {os.getloadavg()[0]:.1f} at the end):")
        for label, seconds in medians.items():
            print(f"  {label:<42} {seconds:7.1f} s  {60 * n / seconds:7.1f} submissions/min  "
                  f"{one / seconds:5.2f}x --jobs 1")


if __name__ == "__main__":
    main()
