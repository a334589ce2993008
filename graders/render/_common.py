"""Formatting helpers shared by the renderers (no I/O, no state)."""
from __future__ import annotations

import math
from typing import Any

from nngrade.render.safe import safe_text
from nngrade.results import CheckResult, Diagnosis, with_hints

#: Status markers used in every human-readable rendering.
STATUS_LABELS = {
    "passed": "PASS",
    "failed": "FAIL",
    "error": "ERROR",
    "timeout": "TIMEOUT",
    "not_run": "NOT RUN",
}


def fmt_points(x: float) -> str:
    """Format a point value compactly: ``2``, ``1.5``, ``0.33``.

    Parameters
    ----------
    x : float
        Points.

    Returns
    -------
    str
        At most two decimals, trailing zeros dropped.
    """
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def points_fraction(earned: float, available: float) -> str:
    """Return ``"earned/available"`` formatted with :func:`fmt_points`."""
    return f"{fmt_points(earned)}/{fmt_points(available)}"


def hidden_line(check: CheckResult) -> str:
    """The only thing students learn about a hidden check: its points.

    Parameters
    ----------
    check : CheckResult
        A hidden check.

    Returns
    -------
    str
        E.g. ``"Hidden test: 0/2 points"``.
    """
    return f"Hidden test: {points_fraction(check.points, check.max_points)} points"


def late_line(lateness: dict) -> str:
    """``"Late: 2 day(s) (penalty 20%): 8/10 points after the penalty"``, or ``""`` when not late.

    Parameters
    ----------
    lateness : dict
        ``Report.lateness``.
    """
    if not lateness.get("late"):
        return ""
    days = lateness.get("days_late", 0)
    return (f"Late: {days} day{'s' if days != 1 else ''} ({lateness.get('source', '')}), penalty "
            f"{100 * float(lateness.get('penalty', 0)):.0f}%: {fmt_points(lateness.get('score_after_penalty', 0))} "
            "points after the penalty")


def diagnosis_lines(diagnosis: Diagnosis, hints: str = "code") -> list[str]:
    """Describe a diagnosis as ``Likely cause`` / message / ``Evidence`` lines.

    Parameters
    ----------
    diagnosis : Diagnosis
        A detected misconception.
    hints : str, default "code"
        Hint level of its fix (:func:`nngrade.results.with_hints`); "code" keeps all of it.

    Returns
    -------
    list of str
        Unindented lines; the message may span several lines.
    """
    lines = [f"Likely cause: {diagnosis.title}"]
    message = with_hints(diagnosis.message, hints)
    if message:
        lines.extend(message.splitlines())
    if diagnosis.evidence:
        lines.append(f"Evidence: {diagnosis.evidence}")
    return lines


def truncate_text(text: str, *, max_lines: int, max_chars: int) -> str:
    """Cap ``text`` to a number of lines and characters, saying what was cut.

    Parameters
    ----------
    text : str
        Possibly long text (e.g. captured printing).
    max_lines : int
        Lines kept at most.
    max_chars : int
        Characters kept at most (before the truncation note).

    Returns
    -------
    str
        The kept text, followed by a ``[... N more lines not shown]`` or
        ``[... output truncated]`` note when something was dropped.
    """
    lines = text.rstrip("\n").splitlines()
    kept = lines[:max_lines]
    dropped_lines = len(lines) - len(kept)
    out = "\n".join(kept)
    cut_chars = len(out) > max_chars
    if cut_chars:
        out = out[:max_chars].rstrip()
    if dropped_lines > 0:
        out += f"\n[... {dropped_lines} more line{'s' if dropped_lines != 1 else ''} not shown]"
    elif cut_chars:
        out += "\n[... output truncated]"
    return out


def groups_in_order(checks: list[CheckResult]) -> list[tuple[str, list[CheckResult]]]:
    """Group checks by ``group``, groups in order of first appearance.

    Parameters
    ----------
    checks : list of CheckResult
        Checks in run order.

    Returns
    -------
    list of (str, list of CheckResult)
        Each group's checks keep their run order.
    """
    groups: dict[str, list[CheckResult]] = {}
    for check in checks:
        groups.setdefault(check.group, []).append(check)
    return list(groups.items())


def numbered_checks(checks: list[CheckResult]) -> list[tuple[str, CheckResult]]:
    """Checks in grouped order, each numbered ``"<group>.<position>"`` (both 1-based).

    Parameters
    ----------
    checks : list of CheckResult
        Checks in run order.

    Returns
    -------
    list of (str, CheckResult)
        E.g. ``[("1.1", c0), ("2.1", c1), ("2.2", c4), ...]``; groups in order
        of first appearance, checks in run order within a group.
    """
    return [
        (f"{g}.{c}", check)
        for g, (_, members) in enumerate(groups_in_order(checks), start=1)
        for c, check in enumerate(members, start=1)
    ]


def status_counts_text(checks: list[CheckResult]) -> str:
    """Summarise statuses, e.g. ``"3 passed, 1 failed, 1 timeout"`` (zero counts omitted).

    ``passed`` is always included so the line is never empty.

    Parameters
    ----------
    checks : list of CheckResult
        The checks to count.

    Returns
    -------
    str
        Comma-separated counts in the order passed, failed, error, timeout, not run.
    """
    parts = [f"{sum(c.status == 'passed' for c in checks)} passed"]
    for status in ("failed", "error", "timeout", "not_run"):
        n = sum(c.status == status for c in checks)
        if n:
            parts.append(f"{n} {status.replace('_', ' ')}")
    return ", ".join(parts)


def points_of(checks: list[CheckResult]) -> tuple[float, float]:
    """Return ``(earned, available)`` points over ``checks``, rounded like ``Report.score``."""
    return round(sum(c.points for c in checks), 6), round(sum(c.max_points for c in checks), 6)


def to_jsonable(value: Any) -> Any:
    """Convert ``value`` to plain JSON data with no NaN or infinity.

    Non-finite floats become ``None``; NumPy scalars and arrays (anything with
    ``tolist``) become Python numbers and lists; tuples become lists; strings
    (keys included) pass through :func:`~nngrade.render.safe.safe_text`.

    Parameters
    ----------
    value : Any
        Nested dicts, lists, numbers and strings.

    Returns
    -------
    Any
        A structure ``json.dumps(..., allow_nan=False)`` accepts.
    """
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {safe_text(str(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return to_jsonable(value.tolist())
    raise TypeError(f"cannot convert {type(value).__name__} to JSON")
