"""Grade corpus submissions and judge the reports (shared by the tests and ``bench/corpus.py``).

The MNIST check is left out of every judgement: the corpus grades with an
empty MNIST directory, so that check is "not run" and costs no time.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from submissions import mutated_source, write_submission

from corpus.broken import Broken
from nngrade.engine.grading import grade

CORRECT_DIR = Path(__file__).resolve().parent / "correct"
#: Configuration for grading the broken corpus quickly (two XOR seeds).
FAST_CONFIG = Path(__file__).resolve().parent / "fast.toml"


def correct_submissions() -> list[Path]:
    """The correct-but-different implementations, sorted by name."""
    return sorted(CORRECT_DIR.glob("*.py"))


def grade_quickly(path: Path, **options):
    """Grade ``path`` with MNIST unavailable (an empty data directory)."""
    with tempfile.TemporaryDirectory(prefix="nngrade-corpus-mnist-") as empty:
        return grade(path, data_dir=empty, **options)


def grade_broken(entry: Broken, folder: Path, **options):
    """Plant ``entry``'s bug in the reference, write it under ``folder`` and grade it."""
    return grade_quickly(write_submission(folder, f"{entry.name}.py", mutated_source(*entry.replacements)),
                         **options)


def lost_points(report) -> set[str]:
    """Ids of the checks that earned less than their points (MNIST excluded)."""
    return {c.id for c in report.checks if c.points < c.max_points and c.group != "mnist"}


def diagnosis_ids(report, check_id: str) -> list[str]:
    """Ids of the diagnoses reported on ``check_id``."""
    return [d.id for c in report.checks if c.id == check_id for d in c.diagnoses]


def all_diagnoses(report) -> list[tuple[str, str]]:
    """``(check id, diagnosis id)`` for every diagnosis in the report."""
    return [(c.id, d.id) for c in report.checks for d in c.diagnoses]


@dataclass
class Verdict:
    """How the grader did on one corpus submission."""

    name: str
    expected: str
    caught: bool
    diagnosed: bool
    others: list[str] = field(default_factory=list)

    def line(self) -> str:
        marks = f"caught {'yes' if self.caught else 'NO '}  diagnosed {'yes' if self.diagnosed else 'NO '}"
        extra = f"  (also: {', '.join(self.others)})" if self.others else ""
        return f"{self.name:<40} {marks}  {self.expected}{extra}"


def judge_broken(entry: Broken, report) -> Verdict:
    """Caught: the expected checks lost points. Diagnosed: the expected id is on ``entry.where``."""
    lost = lost_points(report)
    caught = {entry.where, *entry.loses} <= lost
    diagnosed = entry.diagnosis in diagnosis_ids(report, entry.where)
    others = sorted({d for _, d in all_diagnoses(report)} - {entry.diagnosis})
    return Verdict(entry.name, entry.diagnosis, caught, diagnosed, others)
