"""Where one grade's wall time goes, across the grading process and its worker.

Usage (from the repository root; py-spy is optional, ``pip install py-spy``)::

    python -m bench.profile [SUBMISSION] [--mnist-dir DIR] [--rate 200] [--raw FILE]

Runs ``nngrade grade SUBMISSION`` (default ``reference``) once under
``py-spy record --subprocesses --idle --threads`` and sorts every sample of
the grader's main thread and of the worker's main thread into the categories
below, by the frames on its stack (first match wins). Seconds are samples
divided by the rate; the process's wall time is measured around it.

The grade runs with ``--sandbox off``: py-spy cannot read a process in the
sandbox's namespaces, and the isolation changes the worker's start, not what
it computes. Sampling slows the processes down, so read the shares, not the
seconds; ``python -m bench`` gives the unprofiled figures.
"""
from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (category, test on the frames of a sample), tried in order, for the grader's main thread.
GRADER_RULES = (
    ("imports", lambda f: any(x.startswith("_find_and_load ") for x in f)),
    ("waiting for the isolation probe / start-up", lambda f: any("startup.py" in x for x in f)
     and any(x.startswith(("Future.result", "Event.wait", "Condition.wait", "Thread.join")) for x in f)),
    ("waiting on the worker (requests and replies)", lambda f: any("channel.py" in x and "WorkerProcess" in x
                                                                   for x in f)),
    ("checks: grader-side work (references, comparisons, diagnoses, verification)",
     lambda f: any(x.startswith("_run_checks ") for x in f)),
    ("report: rendering, validation, writing", lambda f: any("/render/" in x or x.startswith("render ") for x in f)),
    ("set-up in grade() (config, loading, fixtures, data)", lambda f: any(x.startswith("grade (") for x in f)),
    ("other (command line, interpreter exit)", lambda f: True),
)
#: The same for the worker's main thread.
WORKER_RULES = (
    ("imports (NumPy, protocol, submission)", lambda f: any(x.startswith("_find_and_load ") for x in f)),
    ("student code (the submission's functions)", lambda f: any("(nngrade_submission" in x for x in f)),
    ("idle: waiting for the next request", lambda f: any(x.startswith("Worker.serve (") for x in f)
     and not any(x.startswith("Worker.handle (") for x in f)),
    ("protocol and worker-side copies (store, replies)", lambda f: any(x.startswith("Worker.handle (") for x in f)),
    ("other (start, exit)", lambda f: True),
)


def record(submission: str, mnist_dir: str | None, rate: int, raw: Path) -> float:
    """Run the grade under py-spy, write its raw samples to ``raw``; returns the wall time."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    with tempfile.TemporaryDirectory(prefix="nngrade-profile-") as folder:
        command = [py_spy, "record", "--subprocesses", "--idle", "--threads", "--nonblocking", "-r", str(rate),
                   "-f", "raw", "-o", str(raw), "--", sys.executable, "-m", "nngrade", "grade", submission,
                   "--sandbox", "off", "--format", "json", "-o", str(Path(folder) / "report.json")]
        if mnist_dir:
            command += ["--mnist-dir", mnist_dir]
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=str(ROOT))
        wall = time.perf_counter() - began
        report = json.loads((Path(folder) / "report.json").read_text())
    print(f"report: {report['totals']['score']:g}/{report['totals']['max_score']:g} points, "
          f"report duration {report['duration']:.2f} s")
    return wall


def classify(raw: Path, rate: int) -> dict[str, collections.Counter]:
    """Seconds per category for ``grader``, ``worker`` and ``other threads and processes``."""
    seconds: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for line in raw.read_text().splitlines():
        stack, count = line.rsplit(" ", 1)
        frames = stack.split(";")
        value = int(count) / rate
        processes = [f for f in frames if f.startswith("process ")]
        threads = [f for f in frames if f.startswith("thread (")]
        thread = threads[-1] if threads else ""
        # A main thread's id is its process's id (py-spy names it MainThread only once Python has).
        main = bool(processes) and thread.startswith(f"thread ({_pid(processes[-1])})")
        if len(processes) == 1 and main:
            side, rules = "grader", GRADER_RULES
        # py-spy may name a child by its parent's command line (read before exec): go by the frames.
        elif len(processes) == 2 and main and any(x.startswith("<module> (worker.py:") for x in frames):
            side, rules = "worker", WORKER_RULES
        else:
            name = "probe trial worker" if "nngrade-probe" in "".join(processes[1:]) else \
                thread.split(": ", 1)[-1] if ": " in thread else "unnamed thread"
            seconds["other threads and processes"][name] += value
            continue
        category = next(label for label, test in rules if test(frames))
        seconds[side][category] += value
    return seconds


def _pid(process_frame: str) -> str:
    return process_frame.split(":", 1)[0].removeprefix("process ")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("submission", nargs="?", default="reference")
    parser.add_argument("--mnist-dir", help="MNIST folder (default: NNGRADE_MNIST_DIR / the cache)")
    parser.add_argument("--rate", type=int, default=200, help="samples per second (default: %(default)s)")
    parser.add_argument("--raw", help="keep py-spy's raw samples in this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nngrade-profile-") as folder:
        raw = Path(args.raw) if args.raw else Path(folder) / "samples.txt"
        wall = record(args.submission, args.mnist_dir, args.rate, raw)
        seconds = classify(raw, args.rate)
    print(f"whole process under py-spy: {wall:.2f} s")
    for side in ("grader", "worker", "other threads and processes"):
        total = sum(seconds[side].values())
        print(f"\n{side} main thread: {total:.2f} s sampled" if side != "other threads and processes"
              else f"\n{side}: {total:.2f} s sampled (overlapping the main threads)")
        for label, value in seconds[side].most_common():
            print(f"  {value:7.2f} s  {value / total:5.0%}  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
