"""What a request is made of on the grader's side (argument placeholders, the batch operation, descriptions),
and the in-place writes a reply may report."""
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


@dataclass(frozen=True)
class InPlaceWrite:
    """An array argument that the submission's code changed during one call (measured in the worker).

    Attributes
    ----------
    call : str
        What was called: ``"Softmax.backward"``, ``"train"``, ``"Network.__init__"``.
    argument : str
        The argument, by parameter name when the worker could read the signature
        (``"grad_s"``, ``"layers[0]"``), else ``"argument 2"``.
    changed, size : int
        Elements that differ from what was passed (NaN equal to NaN), of ``size``.
    what : str
        ``"values"``, or ``"shape"``/``"dtype"`` when the array object itself was
        reshaped or reinterpreted (``changed`` is then ``size``).
    """

    call: str
    argument: str
    changed: int
    size: int
    what: str = "values"


#: Findings kept by a session until :meth:`WorkerSession.take_in_place_writes` (more are dropped).
MAX_KEPT_WRITES = 256


def parse_in_place_writes(entries: Any) -> list[InPlaceWrite] | None:
    """The reply's ``mutated`` entries as records (at most 16 a reply, texts capped); None when malformed."""
    if not isinstance(entries, list):
        return None
    found = []
    for entry in entries[:16]:
        if not (isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("call", "argument", "what"))
                and all(type(entry.get(k)) is int and entry[k] >= 0 for k in ("changed", "size"))):
            return None
        found.append(InPlaceWrite(entry["call"][:200], entry["argument"][:200],
                                  entry["changed"], entry["size"], entry["what"][:20]))
    return found


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
