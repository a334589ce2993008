"""The results folder of a batch: one report per submission, written so a kill loses nothing.

Layout of ``RESULTS_DIR``::

    reports/<id>.json     canonical report of each submission (schema-valid)
    .state/<id>.json      what the report was graded from: grading key,
                          submission sha256, sha256 of the report file
    roster.json           ids, layouts and student details from the last discovery
    grades.csv, grades_canvas.csv, reports.jsonl   rebuilt at the end of every run
    feedback/<id>.html    per-submission pages (optional)

A report counts as done only when its state record matches it byte for byte,
so a run killed between the two writes simply grades that submission again
and overwrites the same file: never a lost result, never a duplicate.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Iterator

from nngrade.engine.fsutil import (
    remove_stale_temporaries,
    sha256_bytes,
    write_atomically,
    write_bytes_atomically,
)
from nngrade.render.validate import ReportValidationError, validate_report

SAFE_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


def grading_key(config: dict, *, mode: str, seed: int | None, mnist_dir, sandbox: str) -> str:
    """Fingerprint of everything besides the submission that decides a report.

    Covers the configuration, mode, seed offset, MNIST directory, sandbox
    policy, kit version and the exact fixtures.
    """
    import os

    from nngrade import __version__
    from nngrade.engine.fixture_store import manifest_sha256

    settings = {"config": config, "mode": mode, "seed": seed, "sandbox": sandbox, "kit": __version__,
                "fixtures": manifest_sha256(),
                "mnist_dir": str(mnist_dir if mnist_dir is not None else os.environ.get("NNGRADE_MNIST_DIR", ""))}
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


def report_bytes(report: dict) -> bytes:
    """The exact bytes a report file holds."""
    return (json.dumps(report, indent=2, sort_keys=True, allow_nan=False) + "\n").encode("utf-8")


class ResultsStore:
    """Read and write one batch's results folder.

    Parameters
    ----------
    root : Path
        ``RESULTS_DIR``.
    create : bool
        Create the folders (and clear temporary files an interrupted run left);
        False only reads what is there.
    """

    def __init__(self, root: Path, *, create: bool = True):
        self.root = Path(root)
        self.reports = self.root / "reports"
        self.state = self.root / ".state"
        self.feedback = self.root / "feedback"
        if create:
            for folder in (self.reports, self.state):
                folder.mkdir(parents=True, exist_ok=True)
                remove_stale_temporaries(folder)

    def report_path(self, ident: str) -> Path:
        """``reports/<id>.json``; refuses ids that are not plain file names."""
        if not SAFE_ID.fullmatch(ident):
            raise ValueError(f"not a submission id: {ident!r}")
        return self.reports / f"{ident}.json"

    def is_current(self, ident: str, submission_sha256: str, key: str) -> bool:
        """True when ``<id>.json`` is a valid, final report for this submission and grading key.

        Reports recording an infrastructure error are never final.
        """
        from nngrade.batch.task import is_infrastructure_failure

        try:
            data = self.report_path(ident).read_bytes()
            state = json.loads((self.state / f"{ident}.json").read_text(encoding="utf-8"))
            report = json.loads(data)
            validate_report(report)
        except (OSError, ValueError, ReportValidationError):
            return False
        return (state.get("key") == key and state.get("report_sha256") == sha256_bytes(data)
                and state.get("submission_sha256") == submission_sha256
                and report["submission"]["id"] == ident and not is_infrastructure_failure(report))

    def save(self, ident: str, report: dict, key: str, submission_sha256: str) -> None:
        """Write the report, then the state record that makes it final (each atomically)."""
        (self.state / f"{ident}.json").unlink(missing_ok=True)
        data = report_bytes(report)
        write_bytes_atomically(self.report_path(ident), data)
        state = {"key": key, "submission_sha256": submission_sha256,
                 "report_sha256": sha256_bytes(data)}
        write_bytes_atomically(self.state / f"{ident}.json", json.dumps(state, sort_keys=True).encode())

    def save_roster(self, roster: list[dict[str, Any]]) -> None:
        """Record the discovered submissions (id, layout, path, student details)."""
        write_atomically(self.root / "roster.json", json.dumps(roster, indent=2, sort_keys=True))

    def roster(self) -> dict[str, dict[str, Any]]:
        """Student details by id from the last discovery (empty when never run)."""
        try:
            return {entry["id"]: entry for entry in json.loads((self.root / "roster.json").read_text(encoding="utf-8"))}
        except (OSError, ValueError, KeyError, TypeError):
            return {}

    def iter_reports(self) -> Iterator[dict]:
        """Every valid report in ``reports/``, sorted by id (invalid files are skipped)."""
        paths = self.reports.glob("*.json") if self.reports.is_dir() else []
        for path in sorted(paths, key=lambda p: p.stem):
            try:
                report = _read_report(path)
            except (OSError, ValueError, ReportValidationError):
                continue
            yield report

    def load_report(self, ident: str) -> dict:
        """The report of submission ``ident``.

        Raises
        ------
        FileNotFoundError
            When there is no report for ``ident``.
        """
        return _read_report(self.report_path(ident))


def _read_report(path: Path) -> dict:
    """The schema-valid report in ``path`` (``OSError`` or ``ValueError`` when there is none)."""
    report = json.loads(path.read_text(encoding="utf-8"))
    validate_report(report)
    return report
