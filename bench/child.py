"""Run one measurement in a fresh process with a fixed BLAS thread count.

The thread count of OpenBLAS / MKL / OpenMP is read once, when NumPy is first
imported, so every measurement that depends on it runs in its own process:
:func:`run_child` starts ``python -m bench.child TASK`` with the thread
variables set, sends the arguments as JSON on stdin and reads the result as
JSON from stdout.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class ChildFailed(RuntimeError):
    """A measurement process exited with an error."""


def run_child(task: str, arguments: dict, *, threads: int, timeout: float = 1800.0) -> dict:
    """Run ``task`` (a name in :data:`TASKS`) in a new process with ``threads`` BLAS threads."""
    env = _child_env(threads)
    completed = subprocess.run([sys.executable, "-m", "bench.child", task], input=json.dumps(arguments),
                               capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=timeout)
    if completed.returncode != 0:
        raise ChildFailed(f"bench task {task!r} failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout)


class ChildServer:
    """A long-lived measurement process: one JSON request per line in, one JSON result per line out.

    Keeps imports and loaded data warm between requests, so measurements can
    be interleaved closely with work done in the parent. Use as a context manager.
    """

    def __init__(self, task: str, arguments: dict, *, threads: int):
        env = _child_env(threads)
        self.process = subprocess.Popen([sys.executable, "-m", "bench.child", "--serve", task, json.dumps(arguments)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                                        cwd=str(ROOT))

    def request(self, arguments: dict) -> dict:
        """Send one request and wait for its result."""
        self.process.stdin.write(json.dumps(arguments) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise ChildFailed(f"bench server exited with code {self.process.wait()}")
        return json.loads(line)

    def __enter__(self) -> ChildServer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def _child_env(threads: int) -> dict:
    env = dict(os.environ)
    env.update({name: str(threads) for name in THREAD_VARIABLES})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _training(args: dict) -> dict:
    from bench.data import load_bench_data
    from bench.training import measure_training

    data = load_bench_data(args["directory"], args["synthetic"])
    return measure_training(data, threads=args["threads"], batch_sizes=args["batch_sizes"],
                            epochs=args["epochs"], repeats=args["repeats"])


def _gemm(args: dict) -> dict:
    from bench.training import measure_gemm

    return measure_gemm(threads=args["threads"], batch_sizes=args["batch_sizes"], repeats=args["repeats"])


TASKS = {"training": _training, "gemm": _gemm}


def _serve_check_compute(setup: dict):
    from bench.compute import CheckCompute

    compute = CheckCompute(setup["directory"])
    return lambda request: compute.measure(repeats=request["repeats"])


SERVERS = {"check_compute": _serve_check_compute}


def main() -> None:
    if sys.argv[1] == "--serve":
        handle = SERVERS[sys.argv[2]](json.loads(sys.argv[3]))
        for line in sys.stdin:
            sys.stdout.write(json.dumps(handle(json.loads(line))) + "\n")
            sys.stdout.flush()
        return
    task = sys.argv[1]
    arguments = json.loads(sys.stdin.read() or "{}")
    result = TASKS[task](arguments)
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main()
