"""One running worker process: start it, exchange frames with deadlines, kill it.

Single-threaded by design: while waiting for a reply the client polls the
reply pipe *and* the worker's output pipe, so output is drained (and capped)
while a call runs, and whatever the worker printed before replying is
attributed to that call. It needs Linux (``os.pipe2``, ``select.poll``,
``pass_fds``, process groups); the plain level uses :mod:`.plain_channel`
instead, on any operating system.
"""
from __future__ import annotations

import itertools
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np

from nngrade.sandbox.host.errors import (
    ProtocolError,
    SandboxUnavailable,
    WorkerCrashed,
    WorkerTimeout,
)
from nngrade.sandbox.host.isolation import Isolation, Limits
from nngrade.sandbox.host.levels import LaunchPaths
from nngrade.sandbox.host.workspace import SandboxAccount, Staging
from nngrade.sandbox.inside import protocol

POLL_SLICE = 0.1
DRAIN_CHUNK = 1 << 20
DRAIN_BUDGET = 16 << 20
PIPE_SIZE = 1 << 20
SIGNAL_HINTS = {
    "SIGSEGV": "a crash in native code, e.g. through ctypes",
    "SIGXCPU": "the CPU-time limit was exceeded",
    "SIGKILL": "killed, e.g. after running out of memory",
    "SIGXFSZ": "the file-size limit was exceeded",
    "SIGABRT": "aborted, e.g. by a failed assertion in native code",
}


class OutputCapture:
    """Keeps the first and last ``cap // 2`` bytes of a stream, counting the rest.

    Parameters
    ----------
    cap : int
        Bytes kept per :meth:`take`.
    """

    def __init__(self, cap: int) -> None:
        self.half = max(cap // 2, 1)
        self.head = bytearray()
        self.tail = bytearray()
        self.omitted = 0
        self.lock = threading.Lock()  # the plain channel feeds it from a reader thread

    def feed(self, data: bytes) -> None:
        with self.lock:
            self._feed(data)

    def _feed(self, data: bytes) -> None:
        room = self.half - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            excess = len(self.tail) - self.half
            if excess > 0:
                self.omitted += excess
                del self.tail[:excess]

    def take(self) -> str:
        """Return the captured text and start afresh."""
        with self.lock:
            return self._take()

    def _take(self) -> str:
        middle = f"\n... [{self.omitted} bytes of output omitted] ...\n" if self.omitted else ""
        text = self.head.decode("utf-8", "replace") + middle + self.tail.decode("utf-8", "replace")
        self.head, self.tail, self.omitted = bytearray(), bytearray(), 0
        return text


class _Deadline(Exception):
    pass


class _Exited(Exception):
    pass


def exit_signal(returncode: int | None, level: str) -> int:
    """The signal that ended the worker (0: none, or unknown)."""
    if returncode is None:
        return 0
    if level == "bwrap" and returncode > 128:
        return returncode - 128  # bubblewrap reports a signal as 128 + its number
    return -returncode if returncode < 0 else 0


def describe_exit(returncode: int | None, level: str) -> str:
    """Explain how the worker ended, e.g. ``"the worker died with SIGSEGV (...)"``."""
    if returncode is None:
        return "the worker stopped answering"
    signum = exit_signal(returncode, level)
    if signum:
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        hint = SIGNAL_HINTS.get(name)
        return f"the worker died with {name}" + (f" ({hint})" if hint else "")
    return f"the worker exited with status {returncode} (sys.exit/os._exit in student code?)"


def stream_failure(worker, exc: BaseException) -> Exception:
    """What a broken reply stream means, once ``worker`` (either channel's process) is killed.

    A worker that exited crashed (its exit status says how); one still running
    sent garbage (a protocol error) or closed its reply channel.
    """
    # After EOF the worker is normally on its way out; garbage alone says nothing.
    exited = worker._wait_exit(0.2 if isinstance(exc, protocol.ProtocolError) else 2.0)
    worker.close()
    if exited:
        return WorkerCrashed(describe_exit(worker.returncode, worker.isolation.level),
                             exit_signal(worker.returncode, worker.isolation.level))
    if isinstance(exc, protocol.ProtocolError):
        return ProtocolError(f"malformed reply from the worker: {exc}")
    return WorkerCrashed("the worker closed its reply channel")


class WorkerProcess:
    """A started worker, ready for requests.

    Parameters
    ----------
    isolation : Isolation
    limits : Limits
    staging : Staging
    account : SandboxAccount or None
    entry : str
        Module to import from the submission.
    output : OutputCapture
        Receives everything the worker prints.

    Raises
    ------
    SandboxUnavailable
        If the worker does not reach its ready state (no student code has
        run at that point, so this is an infrastructure fault).
    """

    def __init__(self, isolation: Isolation, limits: Limits, staging: Staging,
                 account: SandboxAccount | None, entry: str, output: OutputCapture) -> None:
        self.isolation, self.limits, self.account, self.output = isolation, limits, account, output
        self.scratch = staging.new_scratch(account if isolation.drop_privileges else None)
        self._ids = itertools.count(1)
        self.returncode: int | None = None
        request_read, self.request_fd = os.pipe2(os.O_CLOEXEC)
        self.reply_fd, reply_write = os.pipe2(os.O_CLOEXEC)
        self.output_fd, output_write = os.pipe2(os.O_CLOEXEC)
        paths = LaunchPaths(staging.worker_dir, staging.submission_dir, self.scratch)
        inner = isolation.implementation.inner_paths(paths)
        program = [isolation.interpreter.executable, "-I", "-B", "-u", str(inner.worker_dir / "worker.py"),
                   str(request_read), str(reply_write), str(inner.submission_dir), entry]
        plan = isolation.launch_plan(paths, program, limits, account)
        self.popen: subprocess.Popen | None = None
        try:
            self.popen = subprocess.Popen(
                plan.argv, env=plan.env, cwd=plan.cwd, stdin=subprocess.DEVNULL,
                stdout=output_write, stderr=output_write, pass_fds=(request_read, reply_write),
                close_fds=True, start_new_session=True,
            )
        except OSError as exc:
            # The pipes' other ends first: reading the output pipe in close() would wait for ever.
            self._close_fds(request_read, reply_write, output_write)
            request_read = reply_write = output_write = -1
            self.close()
            raise SandboxUnavailable(f"could not start the worker: {exc}") from exc
        finally:
            self._close_fds(request_read, reply_write, output_write)
        for fd in (self.request_fd, self.reply_fd, self.output_fd):
            os.set_blocking(fd, False)
        import fcntl  # Linux only, like this whole channel

        for fd in (self.reply_fd, self.output_fd):
            try:
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
            except OSError:
                pass
        self._await_ready()

    # ------------------------------------------------------------------ exchange
    def request(self, header: dict, blobs: list[np.ndarray], timeout: float) -> tuple[dict, list]:
        """Send one request and return its reply ``(header, arrays)``.

        Raises
        ------
        WorkerTimeout, WorkerCrashed, ProtocolError
            The worker is killed before any of these is raised.
        """
        return next(self.request_items(header, blobs, timeout, count=None))

    def request_items(self, header: dict, blobs: list[np.ndarray], timeout: float,
                      count: int | None, until: float | None = None) -> Iterator[tuple[dict, list]]:
        """Send one request and yield its replies: one, or with ``count`` (a batch) up to ``count``,
        reply ``k`` carrying ``item == k``; each is read within ``timeout`` seconds of the previous one,
        and by ``until`` (:func:`time.monotonic`) at the latest.

        Raises
        ------
        WorkerTimeout, WorkerCrashed, ProtocolError
            While a reply is awaited; the worker is killed before any of these is raised.
        """
        request_id = next(self._ids)
        deadline = min(time.monotonic() + timeout, until if until is not None else float("inf"))
        try:
            protocol.write_frame(self.request_fd, dict(header, id=request_id), blobs,
                                 wait=self._waiter(self.request_fd, select.POLLOUT, deadline))
        except (_Deadline, _Exited, EOFError, BrokenPipeError, protocol.ProtocolError) as exc:
            raise self._failure(exc, timeout) from None
        for item in range(count or 1):
            try:
                reply, arrays = protocol.read_frame(
                    self.reply_fd, self.limits.reply_cap,
                    wait=self._waiter(self.reply_fd, select.POLLIN, deadline))
                self._drain_output()
            except (_Deadline, _Exited, EOFError, BrokenPipeError, protocol.ProtocolError) as exc:
                raise self._failure(exc, timeout) from None
            if reply.get("id") != request_id or (count is not None and reply.get("item") != item):
                self.close()
                raise ProtocolError(f"reply id {reply.get('id')!r} (item {reply.get('item')!r}) does not match "
                                    f"request {request_id}")
            yield reply, arrays
            deadline = min(time.monotonic() + timeout, until if until is not None else float("inf"))

    def _failure(self, exc: Exception, timeout: float) -> Exception:
        """Kill the worker after a failed exchange and return the error to raise."""
        if isinstance(exc, _Deadline):
            self.close()
            return WorkerTimeout(f"did not finish within {timeout:g} s; the worker was killed.")
        self._drain_output()
        return stream_failure(self, exc)

    def _await_ready(self) -> None:
        deadline = time.monotonic() + self.limits.start_timeout
        try:
            header, _ = protocol.read_frame(
                self.reply_fd, 1 << 16, wait=self._waiter(self.reply_fd, select.POLLIN, deadline))
            if header.get("op") != "ready":
                raise protocol.ProtocolError("expected the ready frame")
        except (_Deadline, _Exited, EOFError, protocol.ProtocolError) as exc:
            self._drain_output()
            self._wait_exit(1.0)
            self.close()
            detail = self.output.take().strip()[-2000:] or type(exc).__name__
            raise SandboxUnavailable(
                f"the worker did not start under the {self.isolation.level} sandbox "
                f"({describe_exit(self.returncode, self.isolation.level)}): {detail}") from None
        self.worker_pid = header.get("pid")

    def _waiter(self, fd: int, event: int, deadline: float) -> Callable[[], None]:
        def wait() -> None:
            poller = select.poll()
            poller.register(fd, event)
            if self.output_fd >= 0:
                poller.register(self.output_fd, select.POLLIN)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _Deadline()
                ready = dict(poller.poll(min(remaining, POLL_SLICE) * 1000))
                output_fd = self.output_fd
                if output_fd >= 0 and output_fd in ready and not self._drain_output():
                    poller.unregister(output_fd)  # EOF: the pipe is closed now
                if fd in ready:
                    return
                if self._has_exited() and not _poll_once(fd, event):
                    raise _Exited()
        return wait

    def _drain_output(self) -> bool:
        """Read available output (up to a budget); False once the pipe is at EOF."""
        budget = DRAIN_BUDGET
        while self.output_fd >= 0 and budget > 0:
            try:
                data = os.read(self.output_fd, DRAIN_CHUNK)
            except BlockingIOError:
                return True
            if not data:
                os.close(self.output_fd)
                self.output_fd = -1
                return False
            self.output.feed(data)
            budget -= len(data)
        return self.output_fd >= 0

    # ------------------------------------------------------------------ teardown
    def _has_exited(self) -> bool:
        """Whether the worker has exited, without reaping it (its pid stays reserved)."""
        if self.popen is None or self.popen.returncode is not None:
            return True
        try:
            return os.waitid(os.P_PID, self.popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def _wait_exit(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not self._has_exited():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        """Kill the worker, everything it started, and remove its scratch directory."""
        popen = self.popen
        if popen is not None and popen.returncode is None:
            # Kill the group before reaping the leader, so the pgid cannot be recycled.
            try:
                os.killpg(popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.returncode = popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self.account is not None:
            self.account.sweep()
        if self.output_fd >= 0:
            self._drain_output()
        self._close_fds(self.request_fd, self.reply_fd, self.output_fd)
        self.request_fd = self.reply_fd = self.output_fd = -1
        Staging.remove_scratch(self.scratch)

    @staticmethod
    def _close_fds(*fds: int) -> None:
        for fd in fds:
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass


def _poll_once(fd: int, event: int) -> bool:
    poller = select.poll()
    poller.register(fd, event)
    return bool(poller.poll(0))
