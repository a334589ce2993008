"""Run batch jobs on a Dask distributed cluster.

``tcp://HOST:PORT`` connects to a running scheduler; ``local:N`` starts a
:class:`dask.distributed.LocalCluster` of ``N`` single-threaded worker
processes on this machine. Each task is :func:`nngrade.batch.task.run_job`:
the worker grades in its own sandboxed subprocess, reserving a free sandbox
slot of its machine (see :class:`nngrade.sandbox.host.workspace.SandboxAccount`),
and returns the report.
Submissions travel with their task (see :func:`~nngrade.batch.task.pack_files`),
so workers need no shared file system for them; MNIST is read from each
worker's own ``--mnist-dir`` / ``NNGRADE_MNIST_DIR`` / cache.
"""
from __future__ import annotations

import contextlib
import re
import uuid
from typing import Callable, Iterable, Iterator

from nngrade.batch.task import Job, infrastructure_report, run_job

LOCAL = re.compile(r"^local:(\d+)$")


class SchedulerError(ValueError):
    """The ``--scheduler`` value is malformed or the cluster cannot be reached."""


def parse_scheduler(spec: str) -> tuple[str, str | int]:
    """``("local", n_workers)`` or ``("address", "tcp://host:port")``.

    Raises
    ------
    SchedulerError
        For anything else.
    """
    match = LOCAL.match(spec)
    if match:
        workers = int(match.group(1))
        if not 1 <= workers <= 256:
            raise SchedulerError(f"--scheduler local:N needs 1 <= N <= 256, got {workers}")
        return "local", workers
    if re.match(r"^(tcp|tls|ucx|inproc)://\S+$", spec):
        return "address", spec
    raise SchedulerError(f"--scheduler must be tcp://HOST:PORT or local:N, got {spec!r}")


def local_cluster(workers: int):
    """Start the ``dask.distributed.LocalCluster`` that ``--scheduler local:N`` uses.

    Parameters
    ----------
    workers : int
        Number of single-threaded worker processes.

    Returns
    -------
    dask.distributed.LocalCluster
        Started, without a dashboard; the caller closes it.

    Raises
    ------
    ImportError
        When Dask is not installed.
    """
    from dask.distributed import LocalCluster

    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                        silence_logs=40)


@contextlib.contextmanager
def dask_client(spec: str) -> Iterator:
    """A connected ``dask.distributed.Client`` (and its LocalCluster for ``local:N``), closed on exit."""
    kind, value = parse_scheduler(spec)
    try:
        from dask.distributed import Client
    except ImportError:
        raise SchedulerError("--scheduler needs Dask: pip install 'nngrade[dask]'") from None
    cluster = None
    try:
        if kind == "local":
            cluster = local_cluster(value)
            client = Client(cluster)
        else:
            client = Client(value, timeout="30s")
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        raise SchedulerError(f"cannot reach the Dask scheduler {spec}: {exc}") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_on_dask(client, jobs: Iterable[Job], on_done: Callable[[dict], None]) -> None:
    """Grade ``jobs`` on the cluster, calling ``on_done(result)`` as each finishes.

    A task lost with its worker (or failing inside Dask) yields an
    infrastructure-error report, never an exception.
    """
    from dask.distributed import as_completed

    jobs = list(jobs)
    run = uuid.uuid4().hex[:8]
    futures = {client.submit(run_job, job, key=f"nngrade-{run}-{job.id}", pure=False, retries=1): job
               for job in jobs}
    for future in as_completed(futures):
        job = futures[future]
        try:
            result = future.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker is an infrastructure failure
            result = {"id": job.id, "report": infrastructure_report(job, f"Dask task failed: {type(exc).__name__}: {exc}")}
        on_done(result)
        future.release()
