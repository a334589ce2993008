"""Lateness of a submission and the late policy: read, computed, and written into the report.

Where the submission time comes from:

- Gradescope: ``/autograder/submission_metadata.json`` (``created_at``, and the
  due date of the assignment or of the submitter's extension);
- Canvas: the ``LATE_`` flag in the downloaded file names (no time: counted as
  one day late);
- plain folders: the newest modification time of the submitted files against
  ``late.due`` of the configuration.

The policy (``[late]``): ``penalty_per_day`` (a fraction of the score per started
day late, after ``grace_minutes``), capped at ``max_penalty``. The report keeps
its checks' points untouched; ``report.lateness`` records the lateness, the
penalty and the score after it, which the platform renderers and gradebooks use.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

DAY = 86400.0


class LatenessError(ValueError):
    """Submission metadata or a due date that cannot be read."""


@dataclass(frozen=True)
class LatePolicy:
    """The ``[late]`` section: due date for plain folders, grace, penalty per day and its cap."""

    due: str = ""
    grace_minutes: float = 0.0
    penalty_per_day: float = 0.0
    max_penalty: float = 1.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> "LatePolicy":
        return cls(**(config or {}).get("late", {}))

    def penalty(self, days_late: int) -> float:
        """Fraction of the score removed for ``days_late`` started days."""
        return round(min(self.max_penalty, self.penalty_per_day * max(days_late, 0)), 6)


def parse_time(text: str, what: str) -> datetime:
    """An ISO 8601 time; one without a zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise LatenessError(f"{what} {text!r} is not an ISO 8601 date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def lateness(submitted: datetime | None, due: datetime | None, policy: LatePolicy, source: str,
             *, flagged: bool = False) -> dict[str, Any]:
    """The ``lateness`` record of a report.

    Parameters
    ----------
    submitted, due : datetime, optional
        When it was handed in and when it was due (None when unknown).
    policy : LatePolicy
        Grace and penalty.
    source : str
        Where the times came from (``"gradescope"``, ``"canvas"``, ``"due_date"``).
    flagged : bool
        The platform says "late" without times (Canvas): one day late.

    Returns
    -------
    dict
        ``source``, ``submitted_at``, ``due``, ``late`` (bool), ``seconds_late``,
        ``days_late`` (started days after the grace period) and ``penalty`` (fraction).
    """
    seconds = 0.0
    if submitted is not None and due is not None:
        seconds = max((submitted - due).total_seconds(), 0.0)
    late = flagged or seconds > policy.grace_minutes * 60
    # NOTE: a day is "started" once the grace period is over: 1 s past grace is one day late.
    days = (1 if flagged and not seconds else math.ceil(seconds / DAY)) if late else 0
    return {"source": source, "submitted_at": submitted.isoformat() if submitted else "",
            "due": due.isoformat() if due else "", "late": late, "seconds_late": round(seconds, 3),
            "days_late": days, "penalty": policy.penalty(days)}


def from_gradescope_metadata(path: str | Path, policy: LatePolicy) -> dict[str, Any]:
    """Lateness from Gradescope's ``submission_metadata.json`` (an extension's due date wins)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LatenessError(f"cannot read the submission metadata {path}: {exc}") from None
    if not isinstance(data, dict):
        raise LatenessError(f"the submission metadata {path} is not a JSON object")
    submitted = parse_time(data.get("created_at", ""), "created_at")
    dues = [user.get("assignment", {}).get("due_date") for user in data.get("users", []) if isinstance(user, dict)]
    dues = [d for d in dues if d] or [data.get("assignment", {}).get("due_date")]
    if not dues[0]:
        return lateness(submitted, None, policy, "gradescope")
    due = max(parse_time(d, "due_date") for d in dues)
    return lateness(submitted, due, policy, "gradescope")


def from_modification_time(path: str | Path, policy: LatePolicy) -> dict[str, Any]:
    """Lateness of a plain file or folder: its newest file's modification time against ``policy.due``."""
    if not policy.due:
        return {}
    path = Path(path)
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
    if not files:
        return {}
    newest = max(os.stat(p).st_mtime for p in files)
    return lateness(datetime.fromtimestamp(newest, tz=timezone.utc), parse_time(policy.due, "late.due"), policy,
                    "due_date")


def from_flag(policy: LatePolicy, source: str = "canvas") -> dict[str, Any]:
    """A platform's bare "late" flag: one day late."""
    return lateness(None, None, policy, source, flagged=True)


def score_after_penalty(score: float, record: Mapping[str, Any]) -> float:
    """``score`` less the late penalty of ``record`` (unchanged when there is none)."""
    return round(score * (1.0 - float(record.get("penalty", 0.0))), 6) if record else score


def validate_late(config: Mapping[str, Any]) -> None:
    """Check the ``[late]`` section; raises ValueError."""
    section = config.get("late", {})
    if section.get("due"):
        parse_time(section["due"], "late.due")
    for key, high in (("grace_minutes", 7 * 24 * 60), ("penalty_per_day", 1.0), ("max_penalty", 1.0)):
        value = section.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= high:
            raise ValueError(f"late.{key} = {value!r} is invalid: expected a number in [0, {high}]")


def apply_to_report_dict(report: dict, record: Mapping[str, Any]) -> dict:
    """Write ``record`` into a canonical report dict as ``lateness``, with the score after its penalty."""
    report["lateness"] = dict(record)
    if record:
        report["lateness"]["score_after_penalty"] = score_after_penalty(report["totals"]["score"], record)
    return report


def of_submission(path: str | Path, layout: str, flagged: bool, policy: LatePolicy) -> dict[str, Any]:
    """Lateness of a discovered batch submission: Canvas's flag, else the due date (plain folders)."""
    if layout == "canvas":
        return from_flag(policy) if flagged else {}
    if layout == "plain":
        return from_modification_time(path, policy)
    return {}
