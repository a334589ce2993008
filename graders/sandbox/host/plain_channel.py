"""A worker started as a plain subprocess, with portable primitives only (the ``off`` level).

It runs wherever Python runs (Linux, macOS, Windows): three ordinary pipes
(``subprocess.Popen`` with stdin, stdout and stderr), no inherited
descriptors, no process groups, no ``/proc``, no uid switching. The worker
takes the protocol on stdin/stdout and points its stdout at stderr
(``inside/stdio.py``); the frames are those of ``protocol.py``, unchanged.

``select`` cannot wait on pipes on Windows, so three daemon threads do the
blocking: one writes requests, one reads reply frames (one at a time, only
when a reply is awaited, so a worker cannot queue up memory), one drains the
output into the capped :class:`~nngrade.sandbox.host.channel.OutputCapture`.
Before each reply the worker writes a mark, with a token only it and the
grader know, to its output; the output thread strips the marks and the
caller waits for a reply's mark, so what a call printed is attributed to that
call. A deadline kills the worker with :meth:`subprocess.Popen.kill`.

Each thread owns its pipe and closes it when its stream ends, so a descriptor
number is never read after it was closed (and perhaps reused).
"""
from __future__ import annotations

import itertools
import os
import queue
import secrets
import subprocess
import threading
import time
from collections.abc import Callable
from typing import NoReturn

import numpy as np

from nngrade.sandbox.host.channel import OutputCapture, describe_exit, stream_failure
from nngrade.sandbox.host.errors import ProtocolError, SandboxUnavailable, WorkerTimeout
from nngrade.sandbox.host.isolation import Isolation, Limits
from nngrade.sandbox.host.levels import LaunchPaths
from nngrade.sandbox.host.workspace import Staging
from nngrade.sandbox.inside import protocol

#: Environment variable and delimiter of the output marks (as in ``inside/stdio.py``).
MARK_VARIABLE = "NNGRADE_OUTPUT_MARK"
SEPARATOR = b"\x1e"
MAX_ID_DIGITS = 20
READ_CHUNK = 1 << 16
#: Longest wait for a reply's mark (it runs out when student code closed or replaced the worker's fd 2).
MARK_WAIT = 2.0
#: How long a stopping worker's output is waited for, so its last lines are kept.
OUTPUT_END_WAIT = 2.0
READY_CAP = 1 << 16


class _Deadline(Exception):
    pass


class PlainWorkerProcess:
    """A started plain worker, ready for requests (the same interface as ``WorkerProcess``).

    Parameters
    ----------
    isolation : Isolation
        Of a level whose ``channel`` is ``"stdio"``.
    limits : Limits
        Its timeouts and caps apply; the resource limits need the Linux levels.
    staging : Staging
    account : None
        Never used: a plain worker runs as the grader's own user.
    entry : str
        Module to import from the submission.
    output : OutputCapture
        Receives everything the worker prints.

    Raises
    ------
    SandboxUnavailable
        If the worker does not reach its ready state.
    """

    def __init__(self, isolation: Isolation, limits: Limits, staging: Staging, account, entry: str,
                 output: OutputCapture) -> None:
        self.isolation, self.limits, self.output, self.account = isolation, limits, output, None
        self.scratch = staging.new_scratch(None)
        self._ids = itertools.count(1)
        self.returncode: int | None = None
        self.worker_pid: int | None = None
        token = secrets.token_hex(16)
        self._mark_prefix = SEPARATOR + token.encode("ascii") + b":"
        self._frames: queue.Queue = queue.Queue()
        self._wanted = threading.Semaphore(0)  # one permit per reply frame the caller waits for
        self._requests: queue.Queue = queue.Queue()
        self._marks = threading.Condition()
        self._marked, self._output_ended, self._marks_lost, self._closing = 0, False, False, False
        paths = LaunchPaths(staging.worker_dir, staging.submission_dir, self.scratch)
        inner = isolation.implementation.inner_paths(paths)
        program = [isolation.interpreter.executable, "-I", "-B", "-u", str(inner.worker_dir / "worker.py"),
                   "-", "-", str(inner.submission_dir), entry]
        plan = isolation.launch_plan(paths, program, limits, None)
        self.popen: subprocess.Popen | None = None
        try:
            self.popen = subprocess.Popen(
                plan.argv, env=dict(plan.env, **{MARK_VARIABLE: token}), cwd=plan.cwd, bufsize=0,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            Staging.remove_scratch(self.scratch)
            raise SandboxUnavailable(f"could not start the worker: {exc}") from exc
        for target, name in ((self._write_requests, "requests"), (self._read_frames, "replies"),
                             (self._read_output, "output")):
            threading.Thread(target=target, name=f"nngrade-worker-{name}", daemon=True).start()
        self._await_ready()

    # ------------------------------------------------------------------ exchange
    def request(self, header: dict, blobs: list[np.ndarray], timeout: float) -> tuple[dict, list]:
        """Send one request and return its reply ``(header, arrays)``.

        Raises
        ------
        WorkerTimeout, WorkerCrashed, ProtocolError
            The worker is killed before any of these is raised.
        """
        request_id = next(self._ids)
        deadline = time.monotonic() + timeout
        try:
            self._requests.put(protocol.frame_buffers(dict(header, id=request_id), blobs))
            item = self._next_frame(deadline)
        except _Deadline:
            self.close()
            raise WorkerTimeout(f"did not finish within {timeout:g} s; the worker was killed.") from None
        except protocol.ProtocolError as exc:
            item = exc
        if isinstance(item, BaseException):
            self._failed(item)
        reply, arrays = item
        self._await_mark(request_id, deadline)
        if reply.get("id") != request_id:
            self.close()
            raise ProtocolError(f"reply id {reply.get('id')!r} does not match request {request_id}")
        return reply, arrays

    def _failed(self, exc: BaseException) -> NoReturn:
        """Raise what a broken reply stream means, after killing the worker."""
        raise stream_failure(self, exc) from None

    def _await_ready(self) -> None:
        try:
            item = self._next_frame(time.monotonic() + self.limits.start_timeout)
            if isinstance(item, BaseException):
                raise item
            header, _ = item
            if header.get("op") != "ready":
                raise protocol.ProtocolError("expected the ready frame")
        except (_Deadline, EOFError, OSError, protocol.ProtocolError) as exc:
            self._wait_exit(1.0)
            self.close()
            detail = self.output.take().strip()[-2000:] or type(exc).__name__
            raise SandboxUnavailable(
                f"the worker did not start as a plain subprocess "
                f"({describe_exit(self.returncode, self.isolation.level)}): {detail}") from None
        self.worker_pid = header.get("pid")

    def _next_frame(self, deadline: float):
        """The next reply frame, or the exception that ended the reply stream."""
        self._wanted.release()
        try:
            return self._frames.get(timeout=max(deadline - time.monotonic(), 0.0))
        except queue.Empty:
            raise _Deadline() from None

    def _await_mark(self, request_id: int, deadline: float) -> None:
        """Wait until the output printed before reply `request_id` has been read."""
        if self._marks_lost and self._marked < request_id - 1:
            return  # the marks stopped coming (fd 2 closed or replaced): no more waiting, until they resume
        wait = min(max(deadline - time.monotonic(), 0.0), MARK_WAIT)
        with self._marks:
            self._marks_lost = not self._marks.wait_for(
                lambda: self._marked >= request_id or self._output_ended, wait)

    # ------------------------------------------------------------------ threads
    def _write_requests(self) -> None:
        stream = self.popen.stdin
        try:
            while (buffers := self._requests.get()) is not None:
                for buffer in buffers:
                    position = 0
                    while position < len(buffer):
                        position += os.write(stream.fileno(), buffer[position:position + (1 << 20)])
        except OSError:
            pass  # the worker is gone or stopped reading: the reply reader reports it
        finally:
            _close_quietly(stream)

    def _read_frames(self) -> None:
        stream, cap = self.popen.stdout, READY_CAP
        try:
            while True:
                self._wanted.acquire()
                if self._closing:
                    return
                try:
                    frame = protocol.read_frame(stream.fileno(), cap)
                except (EOFError, OSError, protocol.ProtocolError) as exc:
                    self._frames.put(exc)
                    return
                self._frames.put(frame)
                cap = self.limits.reply_cap
        finally:
            _close_quietly(stream)

    def _read_output(self) -> None:
        stream, marks = self.popen.stderr, MarkedOutput(self._mark_prefix, self.output.feed, self._on_mark)
        try:
            while data := os.read(stream.fileno(), READ_CHUNK):
                marks.feed(data)
        except OSError:
            pass
        finally:
            marks.end()
            with self._marks:
                self._output_ended = True
                self._marks.notify_all()
            _close_quietly(stream)

    def _on_mark(self, request_id: int) -> None:
        with self._marks:
            self._marked = max(self._marked, request_id)
            self._marks.notify_all()

    # ------------------------------------------------------------------ teardown
    def _wait_exit(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while self.popen is not None and self.popen.poll() is None:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        """Kill the worker (only the worker: a plain subprocess has no process group) and remove its scratch."""
        popen = self.popen
        if popen is not None:
            if popen.poll() is None:
                try:
                    popen.kill()
                except OSError:
                    pass
            try:
                self.returncode = popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if not self._closing:
            self._closing = True
            self._wanted.release()  # the reply reader sees it is closing
            self._requests.put(None)
        with self._marks:  # its last lines, e.g. a traceback
            self._marks.wait_for(lambda: self._output_ended, OUTPUT_END_WAIT)
        Staging.remove_scratch(self.scratch)


class MarkedOutput:
    """Splits a worker's output stream into printed text and the marks that end each call's output.

    Parameters
    ----------
    prefix : bytes
        ``SEPARATOR + token + b":"``; a mark is the prefix, the request id in digits, ``SEPARATOR``.
    text : callable
        Receives the printed bytes, marks removed, in order.
    mark : callable
        Receives each mark's request id, after the text printed before it.
    """

    def __init__(self, prefix: bytes, text: Callable[[bytes], None], mark: Callable[[int], None]) -> None:
        self.prefix, self.text, self.mark = prefix, text, mark
        self.pending = b""

    def feed(self, data: bytes) -> None:
        data, prefix = self.pending + data, self.prefix
        while (start := data.find(prefix)) >= 0:
            self.text(data[:start])
            digits_at = start + len(prefix)
            end = data.find(SEPARATOR, digits_at, digits_at + MAX_ID_DIGITS + 1)
            if end < 0 and len(data) - digits_at <= MAX_ID_DIGITS:
                self.pending = data[start:]  # a mark cut by the chunk boundary
                return
            digits = data[digits_at:end] if end >= 0 else b""
            if not digits.isdigit():  # not a mark after all: its first byte is printed text
                self.text(data[start:start + 1])
                data = data[start + 1:]
                continue
            self.mark(int(digits))
            data = data[end + 1:]
        keep = _partial_prefix(data, prefix)
        self.text(data[:len(data) - keep])
        self.pending = data[len(data) - keep:]

    def end(self) -> None:
        """The stream ended: what was held back is text."""
        if self.pending:
            self.text(self.pending)
        self.pending = b""


def _partial_prefix(data: bytes, prefix: bytes) -> int:
    """Length of the longest end of `data` that is a proper start of `prefix`."""
    start = data.rfind(prefix[:1], max(len(data) - len(prefix) + 1, 0))
    while start >= 0:
        if prefix.startswith(data[start:]):
            return len(data) - start
        start = data.rfind(prefix[:1], max(len(data) - len(prefix) + 1, 0), start)
    return 0


def _close_quietly(stream) -> None:
    try:
        stream.close()
    except OSError:
        pass
