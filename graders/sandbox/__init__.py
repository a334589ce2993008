"""Sandbox: run student code in a separate, isolated worker process.

Only plain numeric arrays and JSON scalars cross the boundary, and the grader
validates everything it receives. See ``docs/SANDBOX.md``.
"""
from graders.sandbox.client import RemoteObject, Rng, Stored, WorkerSession
from graders.sandbox.errors import (
    ProtocolError, SandboxError, SandboxUnavailable, StaleReference, StudentError,
    UnsupportedValue, WorkerCrashed, WorkerTimeout,
)
from graders.sandbox.isolation import Isolation, Limits, probe_isolation

__all__ = [
    "Isolation", "Limits", "ProtocolError", "RemoteObject", "Rng", "SandboxError",
    "SandboxUnavailable", "StaleReference", "Stored", "StudentError",
    "UnsupportedValue", "WorkerCrashed", "WorkerSession", "WorkerTimeout", "probe_isolation",
]
