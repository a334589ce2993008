"""Resource limits of one worker."""
from __future__ import annotations

from dataclasses import asdict, dataclass

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker.

    Parameters
    ----------
    call_timeout : float
        Default wall-clock seconds per call.
    start_timeout : float
        Seconds allowed for the worker to start (before student code runs).
    cpu_seconds : int
        RLIMIT_CPU of the worker process (cumulative over its lifetime).
    address_space : int
        RLIMIT_AS in bytes.
    max_processes : int
        Processes/threads the worker uid may have (RLIMIT_NPROC, on top of
        the ones the uid already has when privileges are not dropped).
    file_size : int
        RLIMIT_FSIZE in bytes; also the size of the private ``/tmp``.
    open_files : int
        RLIMIT_NOFILE.
    core : int
        RLIMIT_CORE.
    output_cap : int
        Bytes of printed output kept per :meth:`WorkerSession.take_output`
        (half from the start, half from the end).
    reply_cap : int
        Largest reply frame accepted, in bytes.
    """

    call_timeout: float = 10.0
    start_timeout: float = 30.0
    cpu_seconds: int = 120
    address_space: int = 2 * GiB
    max_processes: int = 32
    file_size: int = 64 * MiB
    open_files: int = 64
    core: int = 0
    output_cap: int = 64 * KiB
    reply_cap: int = 64 * MiB

    def rlimits(self, existing_processes: int = 0) -> dict[str, tuple[int, int]]:
        """``{"RLIMIT_AS": (soft, hard), ...}`` for the launcher.

        The CPU hard limit is one second above the soft one, so the worker
        first gets SIGXCPU (reported as such) rather than a bare SIGKILL.
        """
        same = {
            "RLIMIT_AS": int(self.address_space),
            "RLIMIT_NPROC": int(self.max_processes + existing_processes),
            "RLIMIT_FSIZE": int(self.file_size),
            "RLIMIT_NOFILE": int(self.open_files),
            "RLIMIT_CORE": int(self.core),
        }
        cpu = int(self.cpu_seconds)
        return {"RLIMIT_CPU": (cpu, cpu + 1), **{k: (v, v) for k, v in same.items()}}

    def to_dict(self) -> dict:
        return asdict(self)
