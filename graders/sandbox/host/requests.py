"""What a request is made of on the grader's side: argument placeholders, the batch operation, descriptions."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The request that runs several others in one round trip (the worker's ``BATCH_OP``).
BATCH_OP = "calls"


@dataclass(frozen=True)
class Rng:
    """Argument placeholder: becomes ``np.random.default_rng(seed)`` in the worker."""

    seed: int


@dataclass(frozen=True)
class Stored:
    """Argument placeholder for an array kept in the worker by :meth:`WorkerSession.store`."""

    name: str


def _is_error(error: dict) -> bool:
    return all(isinstance(error.get(key), str) for key in ("type", "message", "traceback"))


def _describe(op: str, fields: dict[str, Any]) -> str:
    """What a request asked the student's code to do, in words a student recognises."""
    if op == "call":
        return f"{fields['obj'].type_name}.{fields['method']}()"
    if op == "new":
        return f"{fields['cls']}()"
    if op == "func":
        return f"{fields['name']}()"
    if op in ("getattr", "setattr"):
        return f"{fields['obj'].type_name}.{fields['name']}"
    if isinstance(fields.get("describe"), str):
        return fields["describe"]
    if op == "hello":
        return "importing your submission"
    return op
