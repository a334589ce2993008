"""Which checks run: the instructor's disabled checks and a ``pytest -k`` style ``--only`` expression."""
from __future__ import annotations

import re

from nngrade.engine.config import disabled_reason

DISABLED = "disabled by the instructor: "
DESELECTED = "not selected by --only "
_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


class SelectionError(ValueError):
    """An ``--only`` expression that cannot be parsed."""


def matcher(expression: str):
    """``expression`` as a predicate over check ids, the way ``pytest -k`` reads it.

    Words match as substrings of the id (case-insensitive); ``and``, ``or``, ``not``
    and parentheses combine them, e.g. ``"softmax and not hidden"`` or ``"xor or mnist"``.

    Raises
    ------
    SelectionError
        On an empty or malformed expression.
    """
    tokens = _TOKEN.findall(expression or "")
    if not tokens:
        raise SelectionError("--only needs an expression, e.g. 'softmax and not hidden'")
    position = 0

    def peek():
        return tokens[position] if position < len(tokens) else None

    def take():
        nonlocal position
        position += 1
        return tokens[position - 1]

    def parse_or():
        left = parse_and()
        while peek() == "or":
            take()
            right = parse_and()
            left = (lambda a, b: lambda s: a(s) or b(s))(left, right)
        return left

    def parse_and():
        left = parse_not()
        while peek() == "and":
            take()
            right = parse_not()
            left = (lambda a, b: lambda s: a(s) and b(s))(left, right)
        return left

    def parse_not():
        if peek() == "not":
            take()
            inner = parse_not()
            return lambda s: not inner(s)
        return parse_atom()

    def parse_atom():
        token = peek()
        if token is None or token in (")", "and", "or"):
            raise SelectionError(f"--only {expression!r}: expected a word or '(' at position {position + 1}")
        take()
        if token == "(":
            inner = parse_or()
            if peek() != ")":
                raise SelectionError(f"--only {expression!r}: missing ')'")
            take()
            return inner
        word = token.lower()
        return lambda s: word in s.lower()

    predicate = parse_or()
    if position != len(tokens):
        raise SelectionError(f"--only {expression!r}: unexpected {tokens[position]!r}")
    return predicate


def select(checks, config: dict, only: str | None) -> dict[str, str]:
    """Check id -> why it does not run, for the disabled and the deselected checks.

    A selected check's dependencies (``needs``) are selected with it, so it can run.
    """
    skipped: dict[str, str] = {}
    for spec, _points, _visibility in checks:
        reason = disabled_reason(config, spec.id)
        if reason:
            skipped[spec.id] = DISABLED + reason
    if only:
        wanted = matcher(only)
        by_id = {spec.id: spec for spec, _, _ in checks}
        chosen = {spec.id for spec, _, _ in checks if wanted(spec.id)}
        pending = list(chosen)
        while pending:
            for need in by_id[pending.pop()].needs:
                if need in by_id and need not in chosen:
                    chosen.add(need)
                    pending.append(need)
        for check_id in by_id:
            if check_id not in chosen:
                skipped.setdefault(check_id, f"{DESELECTED}{only!r}")
    return skipped


def was_skipped(result) -> bool:
    """Whether a check result is a disabled or deselected check (worth nothing, not a failure)."""
    return result.status == "not_run" and result.message.startswith(("not run: " + DISABLED, "not run: " + DESELECTED))
