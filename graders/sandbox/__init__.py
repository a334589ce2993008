"""Sandbox: run student code in a separate, isolated worker process.

Only plain numeric arrays and JSON scalars cross the boundary, and the grader
validates everything it receives. See ``docs/SANDBOX.md``.
"""
from nngrade.sandbox.host.client import InPlaceWrite, RemoteObject, Rng, Stored, WorkerSession
from nngrade.sandbox.host.errors import (
    ProtocolError,
    SandboxError,
    SandboxUnavailable,
    StaleReference,
    StudentError,
    UnsupportedValue,
    WorkerCrashed,
    WorkerTimeout,
)
from nngrade.sandbox.host.isolation import Isolation, Limits, precheck_mode, probe_isolation

__all__ = [
    "InPlaceWrite", "Isolation", "Limits", "ProtocolError", "RemoteObject", "Rng", "SandboxError",
    "SandboxUnavailable", "StaleReference", "Stored", "StudentError",
    "UnsupportedValue", "WorkerCrashed", "WorkerSession", "WorkerTimeout", "precheck_mode", "probe_isolation",
]
