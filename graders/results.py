"""Result data model: what a check produced and what a whole grading run produced.

Checks never build these by hand; the engine turns a check's outcome into a
:class:`CheckResult`. Renderers (``nngrade.render``) only read these objects.
``Report.to_dict()`` is the canonical JSON report, validated against
``graders/schema/report.schema.json``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = "1.0"

#: Every status a check can end in.
STATUSES = ("passed", "failed", "error", "timeout", "not_run")

#: How much of a fix students are shown: nothing, the concept (what is wrong and
#: which rule applies), or the concept and the code. Instructors always see both.
HINT_LEVELS = ("none", "concept", "code")

#: A message's fix is two parts, each on its own line (see :func:`fix_text`).
FIX_CONCEPT = "Fix: "
FIX_CODE = "Fix (code): "


def fix_text(concept: str, code: str = "") -> str:
    """A fix as its concept line and, when given, its code line.

    Parameters
    ----------
    concept : str
        What is wrong and which rule applies, in words (no code).
    code : str, optional
        The code that follows from it; shown to students only at hint level ``"code"``.

    Returns
    -------
    str
        ``"Fix: <concept>"``, followed by ``"\nFix (code): <code>"`` when ``code`` is given.
    """
    text = FIX_CONCEPT + concept
    return text + ("\n" + FIX_CODE + code if code else "")


def with_hints(text: str, level: str) -> str:
    """``text`` with its fix parts cut down to what hint ``level`` shows.

    Every line is cut at ``"Fix (code): "`` unless ``level == "code"`` and at
    ``"Fix: "`` when ``level == "none"``; a line left empty is dropped. Text
    without a fix is returned unchanged.

    Parameters
    ----------
    text : str
        A check message or diagnosis message.
    level : str
        One of :data:`HINT_LEVELS`.
    """
    if level not in HINT_LEVELS:
        raise ValueError(f"hint level must be one of {HINT_LEVELS}, got {level!r}")
    if level == "code" or (FIX_CODE not in text and FIX_CONCEPT not in text):
        return text
    markers = (FIX_CODE,) if level == "concept" else (FIX_CODE, FIX_CONCEPT)
    kept = []
    for line in text.split("\n"):
        cut = [line.find(m) for m in markers if m in line]
        if cut:
            line = line[: min(cut)].rstrip()
            if not line.strip():
                continue
        kept.append(line)
    return "\n".join(kept)


@dataclass
class Diagnosis:
    """A named student misconception detected from the numbers a check saw.

    Parameters
    ----------
    id : str
        Stable identifier from the diagnosis catalogue, e.g. ``"gradient_sign_flipped"``.
    title : str
        One-line name of the misconception.
    message : str
        What was called, what was expected, what was seen, and the likely fix.
    evidence : str
        The numerical signature that matched, e.g. ``"yours = -1.000 x reference on 6/6 inputs"``.
    """

    id: str
    title: str
    message: str
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckResult:
    """The outcome of one check on one submission.

    Parameters
    ----------
    id : str
        Check identifier (unique in the registry).
    name : str
        Human-readable name.
    group : str
        Check family: ``api``, ``forward``, ``jacobians``, ``gradients``, ``xor``, ``mnist``.
    points : float
        Points earned, ``0 <= points <= max_points``.
    max_points : float
        Points available.
    status : str
        One of :data:`STATUSES`.
    visibility : str
        ``"public"`` (shown to students, run by ``nngrade check``) or ``"hidden"``.
    message : str
        Explanation of the status, in the style "called X, expected Y, saw Z, fix".
    output : str
        What the submission printed while this check ran (capped).
    duration : float
        Wall-clock seconds spent on the check.
    diagnoses : list of Diagnosis
        Misconceptions detected when the check failed.
    data : dict
        Plain numeric extras for plots (e.g. ``{"loss_curves": [[...], ...]}``).
    """

    id: str
    name: str
    group: str
    points: float
    max_points: float
    status: str
    visibility: str = "public"
    message: str = ""
    output: str = ""
    duration: float = 0.0
    diagnoses: list[Diagnosis] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown check status {self.status!r}; expected one of {STATUSES}")
        if not 0 <= self.points <= self.max_points:
            raise ValueError(f"check {self.id}: points {self.points} outside [0, {self.max_points}]")

    @property
    def hidden(self) -> bool:
        return self.visibility == "hidden"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["diagnoses"] = [dg.to_dict() for dg in self.diagnoses]
        return d


@dataclass
class SubmissionInfo:
    """Where a submission came from and what the loader noticed.

    Parameters
    ----------
    id : str
        Submission identifier (file or folder name unless given).
    path : str
        Path as given on the command line.
    kind : str
        ``"py"``, ``"package"``, ``"notebook"`` or ``"unknown"`` when it could not be read.
    sha256 : str
        Hash of the submitted bytes (empty when unreadable).
    warnings : list of str
        Loader notes, e.g. dropped notebook magics.
    error : str
        Why the submission could not be loaded; empty when it loaded.
    entry : str
        What the grader imports, e.g. ``"hw3/student_template/__init__.py"`` or
        ``"hw3: layers.py, network.py"``; empty when unknown.
    import_error : str
        Why importing the loaded submission failed (the first line is the error); empty when
        it imported.
    """

    id: str
    path: str
    kind: str = "unknown"
    sha256: str = ""
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    entry: str = ""
    import_error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    """A full grading run of one submission.

    Parameters
    ----------
    submission : SubmissionInfo
        The graded submission.
    mode : str
        ``"grade"`` (instructor: public and hidden checks) or ``"check"`` (student pre-check).
    kit_version : str
        Version of nngrade that produced the report.
    fixtures : dict
        ``{"version": ..., "manifest_sha256": ...}`` of the fixtures used.
    environment : dict
        Python/numpy versions and the sandbox in force (``{"sandbox": {"level": ..., ...}}``).
    checks : list of CheckResult
        One entry per registered check, in run order.
    output : str
        What the submission printed outside any check (import time), capped.
    duration : float
        Wall-clock seconds for the whole run.
    lateness : dict
        Empty when nothing is known; else ``source``, ``submitted_at``, ``due``,
        ``late``, ``seconds_late``, ``days_late``, ``penalty`` (fraction of the
        score) and ``score_after_penalty`` (see :mod:`nngrade.batch.lateness`).
        The checks' points never include the penalty.
    """

    submission: SubmissionInfo
    mode: str
    kit_version: str
    fixtures: dict[str, Any]
    environment: dict[str, Any]
    checks: list[CheckResult] = field(default_factory=list)
    output: str = ""
    duration: float = 0.0
    lateness: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.checks), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.checks), 6)

    @property
    def final_score(self) -> float:
        """The score less the late penalty (the score itself when there is none)."""
        return float(self.lateness.get("score_after_penalty", self.score)) if self.lateness else self.score

    def set_lateness(self, record: dict[str, Any]) -> None:
        """Record lateness (see :mod:`nngrade.batch.lateness`) and the score after its penalty."""
        self.lateness = dict(record)
        if record:
            self.lateness["score_after_penalty"] = round(self.score * (1.0 - float(record.get("penalty", 0.0))), 6)

    def totals(self) -> dict[str, Any]:
        counts = {s: sum(c.status == s for c in self.checks) for s in STATUSES}
        return {"score": self.score, "max_score": self.max_score, **counts}

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "kit_version": self.kit_version,
            "mode": self.mode,
            "submission": self.submission.to_dict(),
            "fixtures": dict(self.fixtures),
            "environment": dict(self.environment),
            "checks": [c.to_dict() for c in self.checks],
            "totals": self.totals(),
            "output": self.output,
            "duration": self.duration,
            "lateness": dict(self.lateness),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Report":
        """Rebuild a report from its JSON form (used by batch analytics)."""
        checks = [
            CheckResult(**{**c, "diagnoses": [Diagnosis(**g) for g in c.get("diagnoses", [])]})
            for c in d["checks"]
        ]
        return cls(
            submission=SubmissionInfo(**d["submission"]),
            mode=d["mode"],
            kit_version=d["kit_version"],
            fixtures=d["fixtures"],
            environment=d["environment"],
            checks=checks,
            output=d.get("output", ""),
            duration=d.get("duration", 0.0),
            lateness=d.get("lateness", {}),
        )
