"""Grader-side API for talking to a sandboxed submission.

Example
-------
>>> with WorkerSession("path/to/submission", "nn") as session:   # doctest: +SKIP
...     api = session.hello()
...     layer = session.new("Linear", 3, 2, rng=Rng(0))
...     out = layer.call("forward", np.ones((4, 3)))
...     weights = layer.get("W")
...     layer.set("W", np.zeros((3, 2)))
...     printed = session.take_output()

Every value that comes back is decoded into plain ``np.ndarray``, ``float``,
``int``, ``bool``, ``None``, ``str``, ``list``/``dict`` of those, or a
:class:`RemoteObject` for objects of the submission's own classes. Callers
must still check types and shapes: the worker is not trusted.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from nngrade.sandbox.host.channel import OutputCapture, WorkerProcess
from nngrade.sandbox.host.errors import (
    NotBatched,
    ProtocolError,
    SandboxError,
    SandboxUnavailable,
    StaleReference,
    StudentError,
    UnsupportedValue,
    WorkerCrashed,
    WorkerTimeout,
)
from nngrade.sandbox.host.isolation import Isolation, Limits, probe_isolation, reprobe
from nngrade.sandbox.host.noise import without_kit_noise
from nngrade.sandbox.host.plain_channel import PlainWorkerProcess
from nngrade.sandbox.host.requests import (
    BATCH_OP,
    MAX_KEPT_WRITES,
    InPlaceWrite,
    Rng,
    Stored,
    _describe,
    _is_error,
    parse_in_place_writes,
)
from nngrade.sandbox.host.workspace import SandboxAccount, Staging
from nngrade.sandbox.inside import protocol

API_KINDS = ("class", "function", "other")


class RemoteObject:
    """Handle of an object living in the worker.

    Use :meth:`call`, :meth:`get` and :meth:`set`; attribute access on the
    handle itself is deliberately not forwarded.
    """

    __slots__ = ("session", "generation", "ref_id", "type_name")

    def __init__(self, session: WorkerSession, generation: int, ref_id: int, type_name: str):
        self.session, self.generation = session, generation
        self.ref_id, self.type_name = ref_id, type_name

    def call(self, method: str, /, *args: Any, **kwargs: Any) -> Any:
        """Call ``obj.method(*args, **kwargs)`` in the worker and return the result."""
        return self.session._request("call", {"obj": self, "method": method,
                                              "args": list(args), "kwargs": kwargs})

    def call_many(self, method: str, /, arguments: Sequence[Sequence[Any]]) -> list[Any]:
        """``[obj.method(*args) for args in arguments]`` in one round trip (see :meth:`WorkerSession.batch`)."""
        return self.session.batch([("call", {"obj": self, "method": method, "args": list(args), "kwargs": {}})
                                   for args in arguments])

    def get(self, name: str) -> Any:
        """Return ``obj.name``."""
        return self.session._request("getattr", {"obj": self, "name": name})

    def set(self, name: str, value: Any) -> None:
        """Perform ``obj.name = value``."""
        self.session._request("setattr", {"obj": self, "name": name, "value": value})

    def drop(self) -> None:
        """Release the object in the worker (no-op if that worker is gone)."""
        if self.generation == self.session.generation and self.session._worker is not None:
            self.session._request("drop", {"obj": self})

    def __repr__(self) -> str:
        return f"<RemoteObject {self.type_name} #{self.ref_id} (worker {self.generation})>"


class WorkerSession:
    """A sandboxed worker running one submission, restarted on demand.

    Parameters
    ----------
    submission_dir : str or os.PathLike
        Directory holding the submission; it is copied, never modified.
    entry : str
        Module or package to import from it, e.g. ``"nn"``.
    limits : Limits, optional
        Resource limits and timeouts (defaults: :class:`Limits`).
    isolation : Isolation, optional
        Result of :func:`probe_isolation` (probed when omitted).
    slot : int, optional
        Preferred sandbox uid slot (uid ``61000 + slot``). If another session
        holds it, or when omitted, the first free slot is used; see
        :attr:`sandbox_uid`.

    Notes
    -----
    The worker starts lazily on the first request. After a
    :class:`WorkerTimeout`, :class:`WorkerCrashed` or :class:`ProtocolError`
    the next request starts a fresh worker: remote objects created before
    raise :class:`StaleReference`, and stored arrays are sent again.
    """

    def __init__(self, submission_dir: str | os.PathLike, entry: str, *,
                 limits: Limits | None = None, isolation: Isolation | None = None,
                 slot: int | None = None, api: Sequence[str] = (), plugins: Sequence[os.PathLike] = ()) -> None:
        if not entry or not all(part.isidentifier() for part in entry.split(".")):
            raise ValueError(f"entry must be a module name, not {entry!r}")
        self.entry = entry
        self.api = tuple(api)
        self.limits = limits or Limits()
        self.isolation = isolation or probe_isolation()
        self.generation = 0
        self._worker: WorkerProcess | PlainWorkerProcess | None = None
        self._timeout: float | None = None
        self._until: float | None = None  # a batch's requests end by this time.monotonic() at the latest
        self._stored: dict[str, tuple[np.ndarray, float | None]] = {}
        self._in_place_writes: list[InPlaceWrite] = []
        self._output = OutputCapture(self.limits.output_cap)
        self._slot = slot
        self._account = SandboxAccount.reserve(slot) if self.isolation.drop_privileges else None
        try:
            self._staging = Staging(submission_dir, plugins)
        except BaseException:
            self._release_account()
            raise

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> WorkerSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def sandbox_uid(self) -> int | None:
        """Uid the workers run as, or None when privileges are not dropped."""
        return self._account.uid if self._account else None

    @property
    def worker_pid(self) -> int | None:
        """Pid of the current worker as it sees itself, or None when none runs."""
        return self._worker.worker_pid if self._worker else None

    def restart(self) -> None:
        """Kill the current worker; the next request starts a fresh one."""
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def close(self) -> None:
        """Kill the worker and delete every file of the session."""
        self.restart()
        self._release_account()
        staging = getattr(self, "_staging", None)
        if staging is not None:
            staging.cleanup()
            self._staging = None

    def _release_account(self) -> None:
        if self._account is not None:
            self._account.sweep()
            self._account.release()
            self._account = None

    @contextlib.contextmanager
    def timeout(self, seconds: float) -> Iterator[None]:
        """Use `seconds` as the per-call timeout inside the ``with`` block."""
        previous, self._timeout = self._timeout, float(seconds)
        try:
            yield
        finally:
            self._timeout = previous

    @contextlib.contextmanager
    def cut_off(self, until: float) -> Iterator[None]:
        """No request of a :meth:`batch` in the ``with`` block runs past ``until`` (:func:`time.monotonic`)."""
        previous, self._until = self._until, float(until)
        try:
            yield
        finally:
            self._until = previous

    def take_output(self) -> str:
        """Text the worker printed since the previous call of this method (capped), without the
        lines libraries print about the sandbox itself (:mod:`.noise`)."""
        return without_kit_noise(self._output.take())

    def start(self) -> None:
        """Start the worker now instead of on the first request (which is what imports the submission)."""
        self._ensure_worker()

    # ------------------------------------------------------------------ operations
    def hello(self) -> dict:
        """Import the submission (on first use) and describe the names of the session's ``api``.

        Returns
        -------
        dict
            ``{"names": {name: {"kind", "signature", "methods"}}, "python": str,
            "numpy": str}`` plus ``"import_error": {"type", "message",
            "traceback", ["line", "file"]}`` when the import failed.
        """
        value = self._request("hello", {"names": list(self.api)})
        if not isinstance(value, dict) or not isinstance(value.get("names"), dict):
            raise self._malformed("malformed hello reply")
        for name, info in value["names"].items():
            if not (isinstance(info, dict) and info.get("kind") in API_KINDS
                    and isinstance(info.get("signature"), str)
                    and isinstance(info.get("methods"), dict)
                    and all(isinstance(v, str) for v in info["methods"].values())):
                raise self._malformed(f"malformed hello entry for {name!r}")
        error = value.get("import_error")
        if error is not None and not (isinstance(error, dict) and _is_error(error)):
            raise self._malformed("malformed import_error in hello reply")
        return value

    def new(self, cls: str, /, *args: Any, **kwargs: Any) -> RemoteObject:
        """Instantiate ``cls(*args, **kwargs)`` from the submission."""
        value = self._request("new", {"cls": cls, "args": list(args), "kwargs": kwargs})
        if not isinstance(value, RemoteObject):
            raise self._malformed("the worker did not return an object handle")
        return value

    def new_many(self, constructions: Sequence[tuple[str, Sequence[Any]]]) -> list[RemoteObject]:
        """``[cls(*args) for cls, args in constructions]`` in one round trip (see :meth:`batch`)."""
        values = self.batch([("new", {"cls": cls, "args": list(args), "kwargs": {}}) for cls, args in constructions])
        if not all(isinstance(value, RemoteObject) for value in values):
            raise self._malformed("the worker did not return an object handle")
        return values

    def func(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Call the submission's module-level function ``name(*args, **kwargs)``."""
        return self._request("func", {"name": name, "args": list(args), "kwargs": kwargs})

    def store(self, name: str, value: np.ndarray, *, scale: float | None = None) -> Stored:
        """Keep `value` in the worker (as ``value.astype(float64) * scale`` if scale is given).

        The returned :class:`Stored` can be passed wherever an array is
        expected; each use hands student code a fresh copy. Stored arrays are
        sent again after a restart.
        """
        array = np.asarray(value)
        self._stored[name] = (array, scale)
        if self._worker is not None:
            self._send_store(name, array, scale)
        return Stored(name)

    def stored(self, name: str) -> Stored:
        """The placeholder of an array kept by :meth:`store`."""
        if name not in self._stored:
            raise KeyError(f"no array stored under {name!r}")
        return Stored(name)

    def take_in_place_writes(self) -> list[InPlaceWrite]:
        """The array arguments that calls since the previous take wrote into, oldest first; clears the list.

        Every ``call``, ``func`` and ``new`` is watched by the worker: it copies
        each array argument before the call and compares it after. A write made
        later (into an array the code kept from an earlier call) is not seen.
        """
        found, self._in_place_writes = self._in_place_writes, []
        return found

    def operation(self, op: str, fields: dict[str, Any], *, timeout: float | None = None) -> Any:
        """Run a worker operation of the assignment's plugins (e.g. a whole training run) in one round trip.

        The reply is decoded but not validated: the caller validates what it expects
        and raises :meth:`malformed` otherwise.
        """
        if timeout is None:
            return self._request(op, fields)
        with self.timeout(timeout):
            return self._request(op, fields)

    def batch(self, requests: Sequence[tuple[str, dict[str, Any]]]) -> list[Any]:
        """Run independent requests ``(op, fields)`` (``new``, ``call``, ``func``, ``getattr``, ``setattr``)
        in one round trip, in order, and return their values.

        Each request keeps its own timeout, counted from the end of the one before, and raises what it
        would raise alone; the requests after a failing one are not run.
        """
        if not requests:
            return []
        try:
            return self._request(BATCH_OP, {BATCH_OP: [(op, dict(fields)) for op, fields in requests]})
        except NotBatched:
            return [self._request(op, fields) for op, fields in requests]

    def malformed(self, message: str) -> ProtocolError:
        """Restart the worker (its state is suspect) and return the ProtocolError to raise."""
        return self._malformed(message)

    # ------------------------------------------------------------------ plumbing
    def _ensure_worker(self) -> WorkerProcess | PlainWorkerProcess:
        if self._staging is None:
            raise SandboxError("the session is closed")
        if self._worker is None:
            self._worker = self._start_worker()
            self.generation += 1
            for name, (array, scale) in self._stored.items():
                self._send_store(name, array, scale)
        return self._worker

    def _start_worker(self) -> WorkerProcess | PlainWorkerProcess:
        """A started worker; under a verdict recalled from an earlier process, one that fails to start
        makes the probe run again (:func:`~nngrade.sandbox.host.isolation.reprobe`) before one more try."""
        try:
            return self._new_process()
        except SandboxUnavailable:
            fresh = reprobe(self.isolation)
            if fresh is None:
                raise
        if fresh.drop_privileges and self._account is None:
            self._account = SandboxAccount.reserve(self._slot)
        elif not fresh.drop_privileges:
            self._release_account()
        self.isolation = fresh
        return self._new_process()

    def _new_process(self) -> WorkerProcess | PlainWorkerProcess:
        process = PlainWorkerProcess if self.isolation.implementation.channel == "stdio" else WorkerProcess
        return process(self.isolation, self.limits, self._staging, self._account, self.entry, self._output)

    def _send_store(self, name: str, array: np.ndarray, scale: float | None) -> None:
        self._request("store", {"name": name, "value": array,
                                "scale": None if scale is None else float(scale)})

    def _request(self, op: str, fields: dict[str, Any]) -> Any:
        worker = self._ensure_worker()
        blobs: list[np.ndarray] = []
        items = fields[BATCH_OP] if op == BATCH_OP else [(op, fields)]
        try:
            encoded = [{"op": item_op, **{k: protocol.encode(v, blobs, fallback=self._encode_special)[0]
                                          for k, v in item_fields.items()}} for item_op, item_fields in items]
        except protocol.UnsupportedValue as exc:
            raise TypeError(f"cannot send this value to the worker: {exc}") from None
        header = {"op": BATCH_OP, BATCH_OP: encoded} if op == BATCH_OP else encoded[0]
        timeout = self._timeout if self._timeout is not None else self.limits.call_timeout
        header["call_timeout"] = float(timeout)  # the first request imports: a notebook's cells share this time
        values: list[Any] = []
        if op == BATCH_OP and not isinstance(worker, WorkerProcess):
            raise NotBatched("the plain channel sends one request at a time")
        replies = worker.request_items(header, blobs, timeout, len(items), until=self._until) \
            if isinstance(worker, WorkerProcess) and op == BATCH_OP else None
        for item_op, item_fields in items:
            try:
                reply, arrays = next(replies) if replies is not None else worker.request(header, blobs, timeout)
            except WorkerTimeout as exc:
                self._worker = None  # already killed; the next request starts afresh
                raise WorkerTimeout(f"{_describe(item_op, item_fields)}: {exc}", request=(item_op, item_fields)) \
                    from None
            except WorkerCrashed as exc:
                self._worker = None
                if op != BATCH_OP:
                    raise
                raise WorkerCrashed(f"{_describe(item_op, item_fields)}: {exc}", exc.signal) from None
            except ProtocolError:
                self._worker = None
                raise
            values.append(self._value_of(reply, arrays))  # raises the request's error: the batch stops there
        return values if op == BATCH_OP else values[0]

    def _value_of(self, reply: dict, arrays: list) -> Any:
        if reply.get("ok") is True:
            try:
                value = protocol.decode(reply.get("value"), arrays, tags={"ref": self._decode_ref})
            except protocol.ProtocolError as exc:
                raise self._malformed(f"malformed value from the worker: {exc}") from None
            if "mutated" in reply:
                self._record_writes(reply["mutated"])
            return value
        error = reply.get("error")
        if reply.get("ok") is not False or not isinstance(error, dict) or not _is_error(error):
            raise self._malformed("malformed error reply from the worker")
        kind = UnsupportedValue if error["type"] == "UnsupportedValue" else StudentError
        raise kind(error["type"][:200], error["message"][:8192], error["traceback"][:8192])

    def _record_writes(self, entries: Any) -> None:
        """Keep the reply's ``mutated`` entries (validated: the worker is not trusted)."""
        found = parse_in_place_writes(entries)
        if found is None:
            raise self._malformed("malformed in-place report from the worker")
        self._in_place_writes.extend(found[:max(MAX_KEPT_WRITES - len(self._in_place_writes), 0)])

    def _malformed(self, message: str) -> ProtocolError:
        """Restart the worker (its state is suspect) and return the error to raise."""
        self.restart()
        return ProtocolError(message)

    def _encode_special(self, value: Any) -> dict:
        if isinstance(value, RemoteObject):
            if value.session is not self or value.generation != self.generation:
                raise StaleReference(
                    f"{value!r} belongs to a worker that has been restarted (after a timeout "
                    "or crash) or to another session; create the object again")
            return {"t": "ref", "id": value.ref_id}
        if isinstance(value, Rng):
            return {"t": "rng", "seed": int(value.seed)}
        if isinstance(value, Stored):
            if value.name not in self._stored:
                raise KeyError(f"no array stored under {value.name!r}")
            return {"t": "stored", "name": value.name}
        raise protocol.UnsupportedValue(f"an object of type {type(value).__name__!r}")

    def _decode_ref(self, part: dict) -> RemoteObject:
        ref_id, type_name = part.get("id"), part.get("type", "")
        if type(ref_id) is not int or not isinstance(type_name, str):
            raise protocol.ProtocolError("malformed ref part")
        return RemoteObject(self, self.generation, ref_id, type_name[:200])
