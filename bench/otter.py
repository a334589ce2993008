"""nngrade against Otter-Grader on the same assignment, measured side by side in one run.

Usage (from the repository root; Otter-Grader is optional, never a kit requirement)::

    python -m pip install -e ".[bench-otter]"
    python bench/otter.py [--repeats 7] [--keep DIR]

It writes, in a temporary folder, the Otter master notebook of the assignment
(:mod:`bench.otter_assignment`), runs ``otter assign`` once, and checks both
graders on the reference (full marks) and on a notebook whose softmax Jacobian
is reduced to its diagonal (points lost). Then, ``--repeats`` times, with the
order rotated every round, it times whole processes:

* ``otter run`` of the submission notebook (local grading, no container; it
  is also run once in a network namespace with only loopback up, to show it
  needs no network);
* ``nngrade grade`` of the same notebook, of the ``reference/`` package and of
  the same code as one ``.py`` file (JSON report, ``best-effort`` sandbox,
  MNIST pointed at an empty folder so it reports "not run").

It prints the medians and each one's ratio to ``otter run``'s median (below 1
is faster than Otter). The figures are wall times of the whole process,
interpreter start and imports included.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.otter_assignment import (  # noqa: E402
    reference_module_source,
    write_master,
    write_submission_notebook,
)

#: The classic bug of ``fixtures/submissions/diagonal_softmax_jacobian.py``, as a replacement.
DIAGONAL_JACOBIAN = (("return s[:, :, None] * np.eye(s.shape[1], dtype=s.dtype) - s[:, :, None] * s[:, None, :]",
                      "return s[:, :, None] * np.eye(s.shape[1], dtype=s.dtype)"),)


def _bin(name: str) -> str:
    """``name`` installed next to this interpreter (the project's environment), else on PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        sys.exit(f"{name} not found: python -m pip install -e '.[bench-otter]'")
    return found


class Setup:
    """The generated assignment, submissions and commands, in ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.empty_mnist = folder / "no-mnist"
        self.empty_mnist.mkdir()
        write_master(folder / "master" / "nn.ipynb")
        self.notebook = write_submission_notebook(folder / "submission" / "nn.ipynb")
        self.broken = write_submission_notebook(folder / "broken" / "nn.ipynb", DIAGONAL_JACOBIAN)
        self.module = folder / "module" / "nn.py"
        self.module.parent.mkdir()
        self.module.write_text(reference_module_source())
        began = time.perf_counter()
        subprocess.run([_bin("otter"), "assign", "master/nn.ipynb", "dist"], cwd=folder, check=True,
                       capture_output=True)
        self.assign_seconds = time.perf_counter() - began
        (self.autograder,) = (folder / "dist" / "autograder").glob("*.zip")

    def otter_run(self, submission: Path, output: Path) -> list[str]:
        return [_bin("otter"), "run", "--no-logo", "-a", str(self.autograder), "-o", str(output), str(submission)]

    def nngrade(self, submission: Path, output: Path) -> list[str]:
        return [_bin("nngrade"), "grade", str(submission), "--format", "json", "-o", str(output / "report.json"),
                "--mnist-dir", str(self.empty_mnist)]


def otter_score(output: Path) -> tuple[float, float]:
    """(points, max points) of ``otter run``'s ``results.json``."""
    tests = json.loads((output / "results.json").read_text())["tests"]
    scored = [test for test in tests if test.get("max_score") is not None]
    return sum(test["score"] for test in scored), sum(test["max_score"] for test in scored)


def nngrade_score(output: Path) -> tuple[float, float]:
    """(points, max points) of the graded checks of an nngrade JSON report (MNIST excluded)."""
    report = json.loads((output / "report.json").read_text())
    graded = [check for check in report["checks"] if check["status"] != "not_run"]
    return sum(check["points"] for check in graded), sum(check["max_points"] for check in graded)


def timed(command: list[str], cwd: Path) -> float:
    """Wall time of ``command`` as a new process (it must succeed)."""
    began = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if completed.returncode != 0:
        raise RuntimeError(f"{command[0]} {command[1]} failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    return seconds


def verify(setup: Setup) -> dict:
    """Both graders give the reference full marks and take points from the broken notebook."""
    scores = {}
    for label, submission in (("reference", setup.notebook), ("diagonal Jacobian", setup.broken)):
        for grader, command, score in (("otter", setup.otter_run, otter_score),
                                       ("nngrade", setup.nngrade, nngrade_score)):
            output = Path(tempfile.mkdtemp(dir=setup.folder, prefix="verify-"))
            timed(command(submission, output), setup.folder)
            scores[f"{grader}: {label}"] = score(output)
    for grader in ("otter", "nngrade"):
        points, maximum = scores[f"{grader}: reference"]
        broken, _ = scores[f"{grader}: diagonal Jacobian"]
        if points != maximum or broken >= maximum:
            raise RuntimeError(f"{grader} does not grade the assignment as expected: {scores}")
    return scores


def offline_check(setup: Setup) -> str:
    """Grade the reference notebook with ``otter run`` in a network namespace with only loopback up."""
    if not (shutil.which("unshare") and shutil.which("ip")) or os.geteuid() != 0:
        return "not checked (needs root, unshare and ip)"
    output = Path(tempfile.mkdtemp(dir=setup.folder, prefix="offline-"))
    command = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh",
               *setup.otter_run(setup.notebook, output)]
    try:
        timed(command, setup.folder)
        points, maximum = otter_score(output)
    except (RuntimeError, OSError) as exc:
        return f"failed without network: {str(exc).splitlines()[0]}"
    return f"works without network (loopback only): {points:g}/{maximum:g}"


def measure(setup: Setup, repeats: int, progress) -> dict[str, list[float]]:
    """Alternating whole-process runs, the order rotated every round."""
    cases = {"otter run, notebook": lambda out: setup.otter_run(setup.notebook, out),
             "nngrade grade, notebook": lambda out: setup.nngrade(setup.notebook, out),
             "nngrade grade, reference/ package": lambda out: setup.nngrade(ROOT / "reference", out),
             "nngrade grade, one .py file": lambda out: setup.nngrade(setup.module, out)}
    runs: dict[str, list[float]] = {label: [] for label in cases}
    labels = list(cases)
    for round_ in range(repeats + 1):
        order = labels[round_ % len(labels):] + labels[:round_ % len(labels)]
        for label in order:
            output = Path(tempfile.mkdtemp(dir=setup.folder, prefix="run-"))
            seconds = timed(cases[label](output), setup.folder)
            shutil.rmtree(output)
            if round_:  # round 0 warms the file-system and disk caches
                runs[label].append(seconds)
        if round_:
            progress(f"  round {round_}/{repeats}: " + ", ".join(f"{runs[label][-1]:.2f}" for label in labels))
    return runs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/otter.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds (default: %(default)s)")
    parser.add_argument("--keep", help="write the generated files here and keep them (default: a temporary folder)")
    parser.add_argument("--json", help="also write the runs and medians as JSON to this file")
    args = parser.parse_args(argv)
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="nngrade-otter-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        say(f"building the Otter assignment in {folder}")
        setup = Setup(folder)
        say(f"otter assign: {setup.assign_seconds:.1f} s (once, not compared)")
        scores = verify(setup)
        offline = offline_check(setup)
        say(f"otter run offline: {offline}")
        runs = measure(setup, args.repeats, say)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    medians = {label: statistics.median(values) for label, values in runs.items()}
    otter = medians["otter run, notebook"]
    load = os.getloadavg()[0]
    print(f"{'':<36}{'median':>9}{'ratio to otter run':>20}")
    for label, value in medians.items():
        print(f"{label:<36}{value:>8.2f}s{value / otter:>20.3f}")
    print("scores (points / max): " + "; ".join(f"{k} {p:g}/{m:g}" for k, (p, m) in scores.items()))
    print(f"otter run {offline}")
    print(f"{args.repeats} alternating rounds, whole processes; load average at the end {load:.2f}; "
          f"{os.cpu_count()} cores")
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "medians": medians, "scores": scores,
                                               "ratios": {k: v / otter for k, v in medians.items()}}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
