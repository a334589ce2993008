"""Class-level numbers computed from canonical report dicts (no I/O, no plotting)."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from nngrade.batch.task import is_infrastructure_failure


@dataclass
class CheckStats:
    """How the class did on one check."""

    id: str
    name: str
    visibility: str
    max_points: float
    attempted: int = 0
    passed: int = 0
    points: float = 0.0

    @property
    def pass_rate(self) -> float:
        """Percent of submissions that passed (0 when none attempted)."""
        return 100.0 * self.passed / self.attempted if self.attempted else 0.0


@dataclass
class Misconception:
    """A diagnosis seen across the class."""

    id: str
    title: str
    submissions: int = 0
    checks: dict[str, int] = field(default_factory=dict)


@dataclass
class ClassSummary:
    """Scores, per-check pass rates and misconception frequencies of a batch."""

    count: int
    percents: list[float]
    checks: list[CheckStats]
    misconceptions: list[Misconception]
    statuses: dict[str, int]
    #: The status of each report, in the order of ``percents`` (see :func:`submission_status`).
    submission_statuses: list[str] = field(default_factory=list)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.percents) if self.percents else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.percents) if self.percents else 0.0


def percent(report: dict) -> float:
    """Score as a percent of the available points."""
    totals = report["totals"]
    return 100.0 * totals["score"] / totals["max_score"] if totals["max_score"] else 0.0


def submission_status(report: dict) -> str:
    """``graded``, ``not_loaded`` (the submission could not be read), ``not_imported`` (it was read
    but importing it failed) or ``infrastructure_error``."""
    if is_infrastructure_failure(report):
        return "infrastructure_error"
    if report["submission"]["error"]:
        return "not_loaded"
    return "not_imported" if report["submission"].get("import_error") else "graded"



def summarize(reports: list[dict]) -> ClassSummary:
    """Aggregate reports into a :class:`ClassSummary`.

    A misconception counts once per submission however many checks diagnosed
    it; ``checks`` says which checks did, and how often.
    """
    checks: dict[str, CheckStats] = {}
    found: dict[str, Misconception] = {}
    statuses: dict[str, int] = {}
    for report in reports:
        status = submission_status(report)
        statuses[status] = statuses.get(status, 0) + 1
        seen_here: set[str] = set()
        for check in report["checks"]:
            stats = checks.setdefault(check["id"], CheckStats(check["id"], check["name"], check["visibility"],
                                                              check["max_points"]))
            stats.attempted += 1
            stats.passed += check["status"] == "passed"
            stats.points += check["points"]
            for diagnosis in check["diagnoses"]:
                entry = found.setdefault(diagnosis["id"], Misconception(diagnosis["id"], diagnosis["title"]))
                entry.checks[check["id"]] = entry.checks.get(check["id"], 0) + 1
                if diagnosis["id"] not in seen_here:
                    seen_here.add(diagnosis["id"])
                    entry.submissions += 1
    ranked = sorted(found.values(), key=lambda m: (-m.submissions, m.id))
    return ClassSummary(count=len(reports), percents=[percent(r) for r in reports], checks=list(checks.values()),
                        misconceptions=ranked, statuses=statuses,
                        submission_statuses=[submission_status(r) for r in reports])
