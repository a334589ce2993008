"""``python -m bench``: run the performance suite, print the table, write JSON.

Run it from the repository root with the project's environment, e.g.::

    NNGRADE_MNIST_DIR=/path/to/mnist python -m bench --json bench-results.json

Sections: ``training`` (reference vs PyTorch, GEMM ceiling), ``gemm`` (matmul
throughput per shape), ``grading`` (latency and overhead), ``batch``
(submissions per minute). See ``bench/README.md`` for what each figure means.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench.child import run_child
from bench.data import bench_directory, load_bench_data, write_synthetic
from bench.report import evaluate_targets, render, write_json

SECTIONS = ("training", "gemm", "grading", "batch")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--json", default="bench-results.json", help="where to write the results (default: %(default)s)")
    add("--sections", default=",".join(SECTIONS), help="comma-separated subset of " + ", ".join(SECTIONS))
    add("--repeats", type=int, default=5, help="repetitions of training and grading (default: %(default)s)")
    add("--epochs", type=int, default=1, help="training epochs (default: %(default)s)")
    add("--threads", default="1,2", help="BLAS / PyTorch thread counts (default: %(default)s)")
    add("--batch-sizes", default="64,256", help="training batch sizes (default: %(default)s)")
    add("--batch-count", type=int, default=10, help="submissions per batch run (default: %(default)s)")
    add("--batch-repeats", type=int, default=2, help="repetitions of each batch run (default: %(default)s)")
    add("--no-full-size", action="store_true", help="skip grading with 60k synthetic training images")
    return parser.parse_args(argv)


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas() -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas['version']}"
    except Exception:  # noqa: BLE001 - only informative
        return "BLAS unknown"


def _grader_blas_threads() -> str:
    """What graders/blas.py makes of this environment for a grading process started from it."""
    from nngrade.engine import blas

    chosen = blas.chosen_by_user()
    if chosen:
        return ", ".join(f"{name}={value}" for name, value in chosen.items()) + " (set before the run)"
    return "1 (nngrade's default: set before NumPy loads, or with threadpoolctl while grading)"


def _torch_version() -> str | None:
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return None


def main(argv=None) -> int:
    args = parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        sys.exit(f"unknown section(s): {', '.join(sorted(unknown))}")
    threads, batch_sizes = _ints(args.threads), _ints(args.batch_sizes)
    scratch = Path(tempfile.mkdtemp(prefix="nngrade-bench-"))
    try:
        return _run(args, sections, threads, batch_sizes, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(args, sections, threads, batch_sizes, scratch: Path) -> int:
    """Run the chosen sections with ``scratch`` as the temporary folder; print and write the results."""
    # Reference accuracies are cached per user; a private cache keeps runs comparable.
    os.environ["XDG_CACHE_HOME"] = str(scratch / "cache")
    directory, synthetic = bench_directory(str(scratch))
    data = load_bench_data(directory, synthetic)
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    results = {"meta": {"date": datetime.datetime.now().isoformat(timespec="seconds"), "cpu": _cpu_model(),
                        "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
                        "blas": _blas(), "torch": _torch_version(), "repeats": args.repeats, "epochs": args.epochs,
                        "batch_repeats": args.batch_repeats, "load": [os.getloadavg()[0], None],
                        "grader_blas_threads": _grader_blas_threads(),
                        "command": "python -m bench " + " ".join(shlex.quote(a) for a in sys.argv[1:])},
               "data": {"label": data.label, "synthetic": synthetic, "n_train": len(data.labels_train),
                        "n_test": len(data.labels_test)}}
    common = {"directory": directory, "synthetic": synthetic, "batch_sizes": batch_sizes}
    if "training" in sections:
        results["training"] = {}
        for count in threads:
            say(f"training: reference vs PyTorch, {count} thread(s)")
            results["training"][count] = run_child("training", {**common, "threads": count, "epochs": args.epochs,
                                                               "repeats": args.repeats}, threads=count)
    if "gemm" in sections:
        results["gemm"] = {}
        for count in threads:
            say(f"gemm: {count} thread(s)")
            results["gemm"][count] = run_child("gemm", {"threads": count, "batch_sizes": batch_sizes,
                                                       "repeats": args.repeats}, threads=count)
    if "grading" in sections:
        from bench.grading import measure_grading

        full_size = None
        if not args.no_full_size:
            say("grading: writing 60k synthetic training images")
            full_size = str(write_synthetic(scratch / "synthetic-60k", full_size=True))
        say("grading: latency and overhead")
        results["grading"] = measure_grading(directory, repeats=args.repeats, full_size_dir=full_size, progress=say)
    if "batch" in sections:
        from bench.throughput import measure_batch

        say("batch: throughput")
        empty = scratch / "no-mnist"
        empty.mkdir()
        results["batch"] = measure_batch({"with MNIST": directory, "without MNIST": str(empty)},
                                         count=args.batch_count, repeats=args.batch_repeats, progress=say)
    results["meta"]["load"][1] = os.getloadavg()[0]
    results["targets"] = evaluate_targets(results)
    print(render(results), end="")
    write_json(results, Path(args.json))
    say(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
