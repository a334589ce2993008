"""What students are shown: hint level, visibility per check and of the hidden total, leaderboard.

Read from the configuration's ``[feedback]`` section and the ``visibility``
key of ``[checks]`` entries (see ``graders/default_config.toml``). The
renderers that face students (Gradescope, PrairieLearn, ``nngrade check``, the
feedback page) take a :class:`FeedbackSettings`; instructors' reports ignore it
and always carry everything.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from nngrade.results import HINT_LEVELS, CheckResult, Report

#: Visibility values Gradescope accepts for tests and for ``stdout_visibility``.
GRADESCOPE_VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")

#: Leaderboard sort orders Gradescope accepts.
LEADERBOARD_ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class LeaderboardEntry:
    """One Gradescope leaderboard column, read from a check's result.

    Parameters
    ----------
    name : str
        Column title, e.g. ``"MNIST accuracy"``.
    check : str
        The check whose result holds the value.
    value : str
        A key of that check's ``data``, or ``"duration"`` for its wall-clock seconds.
    order : str
        ``"desc"`` (higher ranks first) or ``"asc"``.
    """

    name: str
    check: str
    value: str
    order: str = "desc"

    def read(self, report: Report) -> float | None:
        """The entry's value in ``report``; None when the check did not pass or recorded no finite number."""
        found = next((c for c in report.checks if c.id == self.check), None)
        if found is None or found.status != "passed":
            return None
        raw = found.duration if self.value == "duration" else found.data.get(self.value)
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
            return None
        return round(float(raw), 6)


@dataclass(frozen=True)
class FeedbackSettings:
    """What students see of a report.

    Parameters
    ----------
    hints : str
        One of :data:`~nngrade.results.HINT_LEVELS` for student-visible fixes.
    public_visibility, hidden_visibility : str
        Gradescope visibility of public and of hidden checks without their own setting.
    hidden_total : str
        When students learn their points over the hidden checks (Gradescope visibility).
    stdout_visibility : str
        Gradescope visibility of the autograder's standard output.
    check_visibility : mapping
        Check id -> its own visibility (``[checks."id"] visibility = ...``).
    leaderboard : tuple of LeaderboardEntry
        Gradescope leaderboard columns; empty when the leaderboard is off.
    images : bool
        Attach the assignment's pictures of public checks (Gradescope html, PrairieLearn images).
    """

    hints: str = "concept"
    public_visibility: str = "visible"
    hidden_visibility: str = "after_published"
    hidden_total: str = "after_published"
    stdout_visibility: str = "hidden"
    check_visibility: Mapping[str, str] = field(default_factory=dict)
    leaderboard: tuple[LeaderboardEntry, ...] = ()
    images: bool = True

    def __post_init__(self) -> None:
        if self.hints not in HINT_LEVELS:
            raise ValueError(f"feedback.hints must be one of {HINT_LEVELS}, got {self.hints!r}")
        for name in ("public_visibility", "hidden_visibility", "hidden_total", "stdout_visibility"):
            require_visibility(f"feedback.{name}", getattr(self, name))
        for check_id, value in self.check_visibility.items():
            require_visibility(f"checks.{check_id!r}.visibility", value)

    def visibility(self, check: CheckResult) -> str:
        """The Gradescope visibility of ``check`` (its own, else the public or hidden default)."""
        own = self.check_visibility.get(check.id)
        if own is None and check.id.endswith(".hidden"):
            own = self.check_visibility.get(check.id[: -len(".hidden")])
        if own is not None:
            return own
        return self.hidden_visibility if check.hidden else self.public_visibility

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> "FeedbackSettings":
        """Settings from a loaded configuration (defaults when ``config`` is None)."""
        if config is None:
            return cls()
        section = dict(config.get("feedback", {}))
        entries = section.pop("leaderboard", [])
        enabled = section.pop("leaderboard_enabled", False)
        leaderboard = tuple(LeaderboardEntry(**entry) for entry in entries) if enabled else ()
        own = {cid: entry["visibility"] for cid, entry in config.get("checks", {}).items()
               if isinstance(entry, dict) and "visibility" in entry}
        return cls(check_visibility=own, leaderboard=leaderboard, **section)


def require_visibility(name: str, value: object) -> None:
    """Raise ValueError unless ``value`` is a Gradescope visibility."""
    if value not in GRADESCOPE_VISIBILITIES:
        raise ValueError(f"{name} must be one of {GRADESCOPE_VISIBILITIES}, got {value!r}")


def validate_feedback(config: Mapping[str, Any]) -> None:
    """Check the ``[feedback]`` section and every ``visibility`` of ``[checks]``; raises ValueError."""
    section = config.get("feedback", {})
    for entry in section.get("leaderboard", []):
        if not isinstance(entry, dict) or set(entry) - {"name", "check", "value", "order"} \
                or not all(isinstance(entry.get(k), str) and entry.get(k) for k in ("name", "check", "value")):
            raise ValueError(f"feedback.leaderboard entry {entry!r} is invalid: expected "
                             '{name = "...", check = "<check id>", value = "<data key>|duration", order = "asc|desc"}')
        if entry.get("order", "desc") not in LEADERBOARD_ORDERS:
            raise ValueError(f"feedback.leaderboard {entry['name']!r}: order must be one of {LEADERBOARD_ORDERS}")
    for key in ("leaderboard_enabled", "images"):
        if not isinstance(section.get(key, False), bool):
            raise ValueError(f"feedback.{key} must be true or false")
    FeedbackSettings.from_config(config)
