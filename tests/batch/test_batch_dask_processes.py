"""Dask batches leave no process behind: ``local:N``, and a ``tcp://`` scheduler with separate worker processes.

The ``tcp://`` test starts a real ``dask scheduler`` and two ``dask worker``
processes (each in its own process group, terminated and then killed in the
end, so the test never leaves them running either), grades a small class on
them, and compares the reports with ``--jobs 1``.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from nngrade.batch import run_batch

from ._support import BUGS, FAST_CONFIG, make_class
from .test_batch_dask import reports

pytest.importorskip("dask.distributed")
psutil = pytest.importorskip("psutil")

#: Longest wait for processes to finish closing (a bound, not a measurement).
SETTLE_SECONDS = 30.0
#: Longest wait for the separate cluster to come up.
CLUSTER_START_SECONDS = 90.0


def processes_with_marker(marker: str) -> list[int]:
    """Pids of processes whose environment holds ``NNGRADE_TEST_MARKER=marker``."""
    found = []
    needle = f"NNGRADE_TEST_MARKER={marker}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def settle(poll) -> list:
    """``poll()`` until it returns an empty list, at most :data:`SETTLE_SECONDS`; the last result."""
    deadline = time.monotonic() + SETTLE_SECONDS
    left = poll()
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = poll()
    return left


def grading_descendants(parents) -> list[str]:
    """Command lines of sandboxed graders (bubblewrap, launcher, worker) still running under ``parents``."""
    found = []
    for parent in parents:
        try:
            children = parent.children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        for child in children:
            try:
                line = " ".join(child.cmdline())
            except psutil.Error:
                continue
            if any(part in line for part in ("bwrap", "launcher.py", "worker.py")):
                found.append(line[:200])
    return found


@pytest.mark.slow
def test_local_cluster_batch_leaves_no_process_behind(tmp_path, no_mnist):
    submissions = tmp_path / "submissions"
    make_class(submissions, correct=2, buggy_each=0, hostile=False)
    (tmp_path / "fast.toml").write_text(FAST_CONFIG)
    marker = uuid.uuid4().hex
    env = {**os.environ, "NNGRADE_TEST_MARKER": marker}
    completed = subprocess.run(
        [sys.executable, "-m", "nngrade", "batch", str(submissions), "-o", str(tmp_path / "results"),
         "--scheduler", "local:2", "--mnist-dir", str(no_mnist), "--config", str(tmp_path / "fast.toml")],
        env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "2 graded" in completed.stdout + completed.stderr
    assert settle(lambda: processes_with_marker(marker)) == []


@pytest.mark.slow
def test_local_cluster_closes_its_processes_before_run_batch_returns(tmp_path, no_mnist):
    submissions = tmp_path / "submissions"
    make_class(submissions, correct=1, buggy_each=0, hostile=False)
    (tmp_path / "fast.toml").write_text(FAST_CONFIG)
    me = psutil.Process()
    before = {child.pid for child in me.children(recursive=True)}
    summary = run_batch(submissions, tmp_path / "results", config_path=tmp_path / "fast.toml", mnist_dir=no_mnist,
                        scheduler="local:2", progress=False)
    assert summary.graded == ["ok000"] and summary.infrastructure_errors == []

    def new_processes() -> list[str]:
        left = []
        for child in me.children(recursive=True):
            try:
                line = " ".join(child.cmdline())
            except psutil.Error:
                continue
            # multiprocessing's resource tracker serves the whole process and exits with it.
            if child.pid not in before and "resource_tracker" not in line:
                left.append(line[:200])
        return left

    assert settle(new_processes) == []


def _start(command: list[str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    """Terminate ``process`` and its group; kill them when they do not exit in time."""
    for sig, wait in ((signal.SIGTERM, SETTLE_SECONDS), (signal.SIGKILL, 10.0)):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


@pytest.mark.slow
def test_tcp_scheduler_with_two_separate_worker_processes(tmp_path, no_mnist):
    from dask.distributed import Client

    dask = str(Path(sys.executable).with_name("dask"))
    if not Path(dask).exists():
        pytest.skip("the dask command-line tool is not installed beside this interpreter")
    submissions = tmp_path / "submissions"
    make_class(submissions, correct=1, buggy_each=0, hostile=False)
    correct = (submissions / "ok000.py").read_text()
    (submissions / "bug.py").write_text(correct.replace(*BUGS["db_mean"]))
    fast = tmp_path / "fast.toml"
    fast.write_text(FAST_CONFIG)
    scheduler_file = tmp_path / "scheduler.json"
    cluster = [_start([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                       "--scheduler-file", str(scheduler_file)], tmp_path / "scheduler.log")]
    try:
        deadline = time.monotonic() + CLUSTER_START_SECONDS
        while not scheduler_file.exists() and time.monotonic() < deadline and cluster[0].poll() is None:
            time.sleep(0.2)
        assert scheduler_file.exists(), (tmp_path / "scheduler.log").read_text()[-3000:]
        for i in range(2):
            cluster.append(_start([dask, "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1",
                                   "--no-dashboard", "--name", f"grader-{i}"], tmp_path / f"worker{i}.log"))
        with Client(scheduler_file=str(scheduler_file), timeout="60s") as client:
            client.wait_for_workers(2, timeout=CLUSTER_START_SECONDS)
            address = client.scheduler.address
            worker_pids = client.run(os.getpid)
        # Two separate processes, neither of them this one.
        assert len(set(worker_pids.values())) == 2 and os.getpid() not in worker_pids.values()

        local = run_batch(submissions, tmp_path / "local", config_path=fast, mnist_dir=no_mnist, jobs=1,
                          progress=False)
        remote = run_batch(submissions, tmp_path / "remote", config_path=fast, mnist_dir=no_mnist,
                           scheduler=address, progress=False)

        assert remote.infrastructure_errors == [] and sorted(remote.graded) == sorted(local.graded)
        assert reports(tmp_path / "remote") == reports(tmp_path / "local")
        parents = [psutil.Process(process.pid) for process in cluster]
        assert settle(lambda: grading_descendants(parents)) == []
    finally:
        for process in reversed(cluster):
            _stop(process)
    assert all(process.poll() is not None for process in cluster)
