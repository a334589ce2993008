"""Exceptions raised by the sandbox client.

Two families matter to callers:

* student faults: :class:`StudentError` (and :class:`UnsupportedValue`),
  :class:`WorkerTimeout`, :class:`WorkerCrashed`, :class:`ProtocolError`;
* infrastructure faults: :class:`SandboxUnavailable`.

:class:`StaleReference` is a grader bug: using an object from a worker that
has since been restarted.
"""
from __future__ import annotations

from nngrade.sandbox.inside import protocol as _protocol


class SandboxError(Exception):
    """Base class of everything the sandbox client raises."""


class StudentError(SandboxError):
    """Student code raised an exception inside the worker.

    Parameters
    ----------
    type : str
        Class name of the exception (e.g. ``"ValueError"``, ``"SystemExit"``).
    message : str
        Its message (capped).
    traceback : str
        The formatted traceback from the worker (capped).
    """

    def __init__(self, type: str, message: str, traceback: str = "") -> None:  # noqa: A002
        super().__init__(f"{type}: {message}" if message else type)
        self.type = type
        self.message = message
        self.traceback = traceback


class UnsupportedValue(StudentError):
    """Student code returned a value that cannot cross the boundary.

    The message says what was returned, e.g. ``"Softmax.forward returned an
    object of type 'Foo', expected a numpy array, ..."``.
    """


class WorkerTimeout(SandboxError):
    """A call exceeded its deadline; the worker's process group was killed.

    Parameters
    ----------
    message : str
    request : tuple, optional
        ``(op, fields)`` of the request that timed out (within a batch, the one that was running).
    """

    def __init__(self, message: str, request: tuple | None = None) -> None:
        super().__init__(message)
        self.request = request


class WorkerCrashed(SandboxError):
    """The worker exited or was killed by a signal while serving a call.

    Parameters
    ----------
    message : str
    signal : int
        The signal that ended the worker (0 when it exited or the cause is unknown).
    """

    #: Signals that come from outside the worker (the host's OOM killer, an operator, another process of
    #: the machine): the grader retries the call on a fresh worker, then reports an infrastructure error,
    #: never the student's fault. A submission that sends one to itself earns nothing either way.
    EXTERNAL = (9, 1, 2, 15)  # SIGKILL, SIGHUP, SIGINT, SIGTERM

    def __init__(self, message: str, signal: int = 0) -> None:
        super().__init__(message)
        self.signal = int(signal)

    @property
    def from_outside(self) -> bool:
        """Whether the worker was killed by a signal the submission is not charged for (see :attr:`EXTERNAL`)."""
        return self.signal in self.EXTERNAL


class ProtocolError(SandboxError, _protocol.ProtocolError):
    """The worker sent a malformed or oversized reply."""


class SandboxUnavailable(SandboxError):
    """The sandbox could not be set up: an infrastructure fault, not the student's."""


class StaleReference(SandboxError):
    """A :class:`RemoteObject` from a worker that has since been restarted was used."""


class NotBatched(SandboxError):
    """Raised by a request wrapper to have a batch's requests sent one by one instead
    (e.g. the grade's time budget cannot cover each of them at its full timeout)."""
