"""Grade one submission: loader -> sandboxed worker -> checks -> Report.

This is the only module that knows the whole flow; each stage lives in its own
package (``loader``, ``sandbox``, ``checks``, ``results``, ``render``).
Nothing a submission does can raise out of :func:`grade`: every failure ends
up as a check status in a complete report.
"""
from __future__ import annotations

import platform
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from nngrade import __version__
from nngrade.checks.compare import CheckFailed, NotRun
from nngrade.checks.context import CheckContext, Partial
from nngrade.checks.registry import collect
from nngrade.engine import blas
from nngrade.engine.assignment import Assignment, assignment_of
from nngrade.engine.budget import Budget
from nngrade.engine.config import check_settings, load_config
from nngrade.engine.fixture_store import (
    FixtureSets,
    fixture_generators,
    fixtures_dir,
    hidden_secret,
    hidden_set_seed,
    manifest,
    manifest_sha256,
)
from nngrade.engine.hidden_worker import HiddenWorker
from nngrade.engine.imports import findings, findings_message, write_policy
from nngrade.engine.resources import Resources
from nngrade.engine.selection import select
from nngrade.engine.startup import Startup
from nngrade.loader import describe_cell_reports, load_submission
from nngrade.results import CheckResult, Report
from nngrade.sandbox import (
    Limits,
    ProtocolError,
    SandboxUnavailable,
    StudentError,
    WorkerCrashed,
    WorkerSession,
    WorkerTimeout,
    precheck_mode,
)

WORKER_DIR = "/nngrade/"  # the folder of the worker's own programs, at every sandbox level
#: Heads what the hidden checks' worker printed at import, in the output of the first hidden check.
HIDDEN_IMPORT_HEADER = "[printed when the hidden checks' worker imported the submission]"
INFRASTRUCTURE = "grader infrastructure error (not a fault of the submission; please report it): "


def limits_from_config(config: dict) -> Limits:
    """Sandbox limits from the ``[limits]`` section of the configuration."""
    section = config["limits"]
    return Limits(call_timeout=section["call_timeout"], start_timeout=section["worker_start_timeout"],
                  cpu_seconds=section["cpu_seconds"], address_space=section["address_space_mb"] << 20,
                  max_processes=section["max_processes"], output_cap=section["output_cap_kb"] << 10)


def selected_checks(config: dict, mode: str, assignment: Assignment | None = None):
    """The checks of this mode with their points and visibility from the configuration."""
    chosen = []
    for spec in collect(assignment or assignment_of(config)):
        points, hidden = check_settings(config, spec.id)
        visibility = "hidden" if (hidden if hidden is not None else spec.visibility == "hidden") else "public"
        if mode == "check" and visibility == "hidden":
            continue
        chosen.append((spec, points, visibility))
    return chosen


def missing_api(hello: dict, needs: tuple[str, ...]) -> list[str]:
    """The entries of ``needs`` (``"Class.method"`` or ``"name"``) that the worker did not find."""
    found = hello.get("names", {})
    missing = []
    for need in needs:
        name, _, method = need.partition(".")
        entry = found.get(name)
        if entry is None or (method and method not in entry.get("methods", {})):
            missing.append(need)
    return missing


def _catalogue_for(assignment: Assignment):
    """The diagnosis catalogue, imported only for a check that did not pass after observing something.

    Every detector reads observations; with none (e.g. a data set not available) there is nothing to diagnose.
    """
    def diagnose(check_id: str, status: str, observations: dict) -> list:
        if not observations:
            return []
        from nngrade.diagnoses import diagnose as run_catalogue

        return run_catalogue(check_id, status, observations, assignment)

    return diagnose


def _run_one(spec, session, config, extras) -> tuple[str, float, str, CheckContext]:
    """Run one check; returns (status, fraction of points, message, context).

    A worker killed from outside (:attr:`WorkerCrashed.from_outside`) is not the submission's doing: the
    check runs once more on a fresh worker, and a second such death is an infrastructure error.
    """
    for _attempt in range(2):
        ctx = CheckContext(spec, session, config, extras)
        try:
            return _attempt_check(spec, ctx)
        except WorkerCrashed as exc:
            if not exc.from_outside:
                return "error", 0.0, f"the process running your code died: {exc}", ctx
            killed = exc
    return "error", 0.0, INFRASTRUCTURE + f"the worker was killed from outside twice ({killed}); " \
        "the check ran again on a fresh worker and was killed again", ctx


def _attempt_check(spec, ctx) -> tuple[str, float, str, CheckContext]:
    try:
        outcome = spec.func(ctx)
    except CheckFailed as exc:
        return "failed", 0.0, str(exc), ctx
    except NotRun as exc:
        return "not_run", 0.0, f"not run: {exc}", ctx
    except StudentError as exc:
        if exc.type == "NotImplementedError":
            return "failed", 0.0, f"not implemented yet: {exc.message or 'NotImplementedError'}", ctx
        return "error", 0.0, describe_student_error(exc), ctx
    except WorkerTimeout as exc:
        return "timeout", 0.0, f"{exc} Look for an infinite loop or a much slower computation than needed.", ctx
    except (WorkerCrashed, SandboxUnavailable):
        raise
    except ProtocolError as exc:
        return "error", 0.0, f"your code returned something that is not a plain numeric value: {exc}", ctx
    except Exception as exc:  # a grader bug must cost one check, never the report
        return "error", 0.0, INFRASTRUCTURE + f"{type(exc).__name__}: {exc}", ctx
    if isinstance(outcome, Partial):
        return "failed", outcome.fraction, "\n".join([outcome.message, *_notes(ctx)]), ctx
    return "passed", 1.0, "\n".join(_notes(ctx)), ctx


#: A floating-point warning as Python prints it: ``file:line: RuntimeWarning: overflow encountered in exp``.
FLOATING_POINT_WARNING = re.compile(
    r"([^\s:]+:\d+): RuntimeWarning: ((?:overflow|divide by zero|invalid value|underflow) encountered in [\w ]+)")


def floating_point_notes(output: str) -> list[str]:
    """0-point notes for the floating-point warnings the student's code printed during a check."""
    found = dict.fromkeys(f"{where.rsplit('/', 1)[-1]}: {what.strip()}"
                          for where, what in FLOATING_POINT_WARNING.findall(output or ""))
    return [f"Note (no points lost): your code raised a floating-point warning ({item}); the values were "
            "judged as returned, and a form that cannot overflow or divide by zero avoids it."
            for item in list(found)[:3]]


def _notes(ctx) -> list[str]:
    """The check's 0-point notes, as message lines."""
    return [f"Note (no points lost): {note}" for note in ctx.notes]


def grade(path, *, mode: str = "grade", config: dict | None = None, config_path=None, seed: int | None = None,
          data_dir=None, sandbox: str = "best-effort", submission_id: str | None = None, slot: int = 0,
          diagnose=None, only: str | None = None) -> Report:
    """Grade the submission at ``path`` and return its report.

    Parameters
    ----------
    path : str or Path
        A ``.py`` file, a package directory or a notebook.
    mode : {"grade", "check"}
        ``grade`` runs public and hidden checks; ``check`` (the student pre-check) only public ones.
    config, config_path
        A loaded configuration, or a TOML file to load (defaults when neither).
    seed : int, optional
        Offsets the seeds of the assignment's training checks (default: the configured ones).
    data_dir : path, optional
        Where the assignment's data resources are (each resource documents its own fallbacks).
    sandbox : {"strict", "best-effort", "off"}
        Isolation policy of the worker. A ``check`` on a system without the (Linux) isolation levels
        runs ``best-effort`` as ``off``: a plain subprocess (:func:`nngrade.sandbox.precheck_mode`).
    slot : int
        Concurrency slot: parallel graders use distinct slots (distinct sandbox uids).
    diagnose : callable, optional
        ``diagnose(check_id, status, observations) -> list[Diagnosis]``; default: the catalogue.
    only : str, optional
        A ``pytest -k`` style expression over check ids (``"softmax and not hidden"``): only the
        matching checks and the checks they need run; the others are reported as not selected.

    Raises
    ------
    SandboxUnavailable
        Only with ``sandbox="strict"`` when no namespace isolation is available.

    Notes
    -----
    The grader's BLAS runs one thread while grading (:mod:`nngrade.engine.blas`).
    """
    with blas.single_thread():
        return _grade(path, mode=mode, config=config, config_path=config_path, seed=seed,
                      data_dir=data_dir, sandbox=sandbox,
                      submission_id=submission_id, slot=slot, diagnose=diagnose, only=only)


def _grade(path, *, mode, config, config_path, seed, data_dir, sandbox, submission_id, slot, diagnose, only) -> Report:
    started = time.perf_counter()
    config = config or load_config(config_path)
    budget = Budget(config["limits"]["total_timeout"], started)
    assignment = assignment_of(config)
    diagnose = diagnose or _catalogue_for(assignment)
    folder = fixtures_dir()
    checks = selected_checks(config, mode, assignment)
    skipped = select(checks, config, only)  # id -> why it does not run (disabled, not selected)
    resources = Resources(assignment.resources, {"data_dir": data_dir})
    runnable = [c for c in checks if c[0].id not in skipped]
    if mode == "check":
        sandbox = precheck_mode(sandbox)
    startup = Startup(sandbox, runnable, resources)  # probe, fixtures and resources, overlapped
    with tempfile.TemporaryDirectory(prefix="nngrade-") as workdir:
        loaded = load_submission(Path(path), Path(workdir), submission_id=submission_id, api=assignment.api)
        refused = findings(loaded.module_dir, config) if loaded.ok else []
        policy = write_policy(config, Path(workdir) / ".policy")
        session = (startup.session(loaded.module_dir, loaded.entry, limits=limits_from_config(config), slot=slot,
                                   api=assignment.api, plugins=[*assignment.plugin_paths(), *policy])
                   if loaded.ok and not refused else None)
        isolation = startup.isolation()
        report = Report(submission=loaded.info, mode=mode, kit_version=__version__,
                        fixtures={"version": manifest(folder)["version"], "manifest_sha256": manifest_sha256(folder)},
                        environment={"python": platform.python_version(), "numpy": np.__version__,
                                     "platform": platform.platform(), "sandbox": isolation.to_dict()})
        if refused:  # imports the assignment forbids: the gate fails, naming them, and nothing runs
            report.checks = [_skipped(spec, points, visibility, "failed", findings_message(refused))
                             if spec.id == assignment.gate else
                             _skipped(spec, points, visibility, "not_run",
                                      f"not run: needs check {assignment.gate} to pass first")
                             for spec, points, visibility in checks]
        elif session is None:
            report.checks = [_skipped(spec, points, visibility, "error" if spec.id == assignment.gate else "not_run",
                                      f"the submission could not be loaded: {loaded.info.error}")
                             for spec, points, visibility in checks]
        if session is None:
            report.duration = round(time.perf_counter() - started, 3)
            return report
        fixtures = FixtureSets(lambda: fixture_generators(assignment.check_modules), folder,
                               None if mode == "check" else
                               lambda: hidden_set_seed(hidden_secret(config)[0], loaded.info.sha256))

        hidden = HiddenWorker(lambda: WorkerSession(
            loaded.module_dir, loaded.entry, limits=limits_from_config(config), isolation=isolation, slot=None,
            api=assignment.api, plugins=[*assignment.plugin_paths(), *policy])) \
            if any(v == "hidden" and spec.id not in skipped for spec, _, v in checks) else None
        try:
            with session, budget.guard(session):
                report.checks = _run_checks(session, checks, skipped, config, diagnose, assignment, {
                    "resources": resources, "fixtures_folder": folder, "fixtures": fixtures, "isolation": isolation,
                    "seed_offset": 0 if seed is None else int(seed), "budget": budget}, report, hidden)
        finally:
            if hidden is not None:
                hidden.close()
    report.duration = round(time.perf_counter() - started, 3)
    return report


def _skipped(spec, points, visibility, status, message) -> CheckResult:
    return CheckResult(id=spec.id, name=spec.name, group=spec.group, points=0.0, max_points=points,
                       status=status, visibility=visibility, message=message)


def _run_checks(session, checks, skipped, config, diagnose, assignment, extras, report,
                fresh_session=None) -> list[CheckResult]:
    """Run the public checks in ``session``, then the hidden ones in a worker of ``fresh_session()``.

    The hidden checks' worker imports the submission anew after the public worker has
    ended, so nothing it prints, having seen hidden inputs, can reach the output of a
    public check (students see that output). Results keep the order of ``checks``.
    """
    status_of: dict[str, str] = {}
    public = [c for c in checks if c[2] != "hidden"]
    hidden = [c for c in checks if c[2] == "hidden"]
    results = _run_phase(session, public, skipped, status_of, config, diagnose, assignment, extras, report)
    report.output = results.pop("", "")
    session.close()
    why_not: str | Exception | None
    why_not = "the submission could not be imported" if extras.get("hello", {}).get("import_error") else \
        None if fresh_session is not None else "no worker for the hidden checks"
    if why_not is None and any(spec.id not in skipped for spec, _, _ in hidden):
        try:
            second = fresh_session()
        except Exception as exc:  # noqa: BLE001 - no worker could be started: never the submission's fault
            why_not = exc
        else:
            with second, extras["budget"].guard(second):
                later = _run_phase(second, hidden, skipped, status_of, config, diagnose, assignment, extras)
            printed = later.pop("", "")
            first = next((r for r in later.values() if r.status != "not_run" or r.output), None)
            if printed.strip() and first is not None:  # the fresh import's printing: instructors only
                first.output = f"{HIDDEN_IMPORT_HEADER}\n{printed}{first.output}"
            results.update(later)
            hidden = []
    for spec, points, visibility in hidden:
        if spec.id in skipped:
            results[spec.id] = _skipped(spec, 0.0, visibility, "not_run", f"not run: {skipped[spec.id]}")
        elif isinstance(why_not, Exception):
            results[spec.id] = _skipped(spec, points, visibility, "error",
                                        INFRASTRUCTURE + f"{type(why_not).__name__}: {why_not}")
        else:
            results[spec.id] = _skipped(spec, points, visibility, "not_run", f"not run: {why_not}")
    return [results[spec.id] for spec, _, _ in checks]


def _hello(session) -> dict:
    """Import the submission; a worker killed from outside is retried once, then an infrastructure fault."""
    for _attempt in range(2):
        try:
            return session.hello()
        except WorkerCrashed as exc:
            if not exc.from_outside:
                raise
            killed = exc
    raise SandboxUnavailable(f"the worker was killed from outside twice while importing the submission ({killed})")


def _run_phase(session, checks, skipped, status_of, config, diagnose, assignment, extras, report=None) -> dict:
    """Results of ``checks`` run in one worker, by id; key ``""`` holds what the import printed.

    With ``report`` (the public phase), the import's cell reports and error are recorded in it.
    """
    budget = extras["budget"]
    try:
        hello = _hello(session)
    except SandboxUnavailable as exc:
        return {s.id: _skipped(s, p, v, "error", INFRASTRUCTURE + str(exc)) for s, p, v in checks}
    except (WorkerTimeout, WorkerCrashed, ProtocolError) as exc:
        hello = {"import_error": {"type": type(exc).__name__, "message": str(exc)}}
    except StudentError as exc:  # the worker's own helpers failed on the submission's objects: its fault
        hello = {"names": {}, "described": describe_student_error(exc)}
    except NotRun as exc:  # the time budget was spent before the import finished
        return {s.id: _skipped(s, p, v, "not_run", f"not run: {exc}") for s, p, v in checks}
    results: dict = {"": session.take_output()}
    extras["hello"] = hello
    if report is not None:  # the public phase's import: the notebook cells it ran, once per report
        report.submission.warnings.extend(describe_cell_reports(hello.get("cells"), Path(report.submission.path).name))
    import_error = hello.get("import_error")
    if import_error and report is not None:
        report.submission.import_error = _describe_error(import_error)[:4000]
    for spec, points, visibility in checks:
        began = time.perf_counter()
        budget.check_id = spec.id
        if spec.id in skipped:
            results[spec.id] = _skipped(spec, 0.0, visibility, "not_run", f"not run: {skipped[spec.id]}")
            status_of[spec.id] = "not_run"
            continue
        if import_error or "described" in hello:
            status = "error" if spec.id == assignment.gate else "not_run"
            message = ("importing your submission failed: " + _describe_error(import_error) if import_error
                       else "listing your submission's classes and functions failed: " + hello["described"])
            results[spec.id] = _skipped(spec, points, visibility, status, message if status == "error" else
                                        "not run: the submission could not be imported" if import_error else
                                        f"not run: needs check {assignment.gate} to pass first")
            status_of[spec.id] = status
            continue
        if budget.remaining() <= 0:
            results[spec.id] = _skipped(spec, points, visibility, "not_run", f"not run: {budget.spent_message()}")
            status_of[spec.id] = "not_run"
            continue
        missing = missing_api(hello, spec.needs_api)
        blocked = [n for n in spec.needs if status_of.get(n) != "passed"]
        if missing or blocked:
            why = (f"needs {', '.join(missing)}, which your submission does not define" if missing
                   else f"needs check {', '.join(blocked)} to pass first")
            results[spec.id] = _skipped(spec, points, visibility, "not_run", f"not run: {why}")
            status_of[spec.id] = "not_run"
            continue
        try:
            status, fraction, message, ctx = _run_one(spec, session, config, extras)
        except SandboxUnavailable as exc:
            status, fraction, message, ctx = "error", 0.0, INFRASTRUCTURE + str(exc), None
        result = CheckResult(id=spec.id, name=spec.name, group=spec.group,
                             points=round(points * fraction, 6), max_points=points, status=status,
                             visibility=visibility, message=message, output=session.take_output(),
                             duration=round(time.perf_counter() - began, 4),
                             data=ctx.data if ctx is not None else {})
        notes = floating_point_notes(result.output) if ctx is not None else []
        if notes:
            result.message = "\n".join([m for m in (result.message,) if m] + notes)
        if status != "passed" and ctx is not None:
            result.diagnoses = diagnose(spec.id, status, ctx.observations)
        results[spec.id] = result
        status_of[spec.id] = status
    return results


def student_traceback(traceback: str) -> list[str]:
    """The traceback's frames in the submission's files (the worker's own frames dropped)."""
    kept, keep = [], True
    for line in traceback.splitlines():
        if line.startswith("  File "):
            path = line.replace("\\", "/")  # Windows paths (the plain level runs the host's own)
            keep = (WORKER_DIR not in path or "/submission/" in path) and '"<frozen ' not in line
        elif not line.startswith("  "):
            keep = not line.startswith("Traceback")
        if keep and line.strip():
            kept.append(line)
    return kept


def describe_student_error(exc: StudentError, max_lines: int = 12) -> str:
    """``your code raised T: message`` and the last lines of its traceback in the submission."""
    text = f"your code raised {exc.type}: {exc.message}".rstrip(": ")
    frames = student_traceback(exc.traceback)
    if frames and frames[-1].startswith(exc.type):
        frames = frames[:-1]  # the exception line repeats the first line of the message
    frames = frames[-max_lines:]
    return text + ("\nTraceback (most recent call last, in your code):\n" + "\n".join(frames) if frames else "")


def _describe_error(error: dict) -> str:
    text = f"{error.get('type', 'Error')}: {error.get('message', '')}".strip()
    frames = student_traceback(error.get("traceback") or "")
    return text + ("\nTraceback (most recent call last, in your code):\n" + "\n".join(frames) if frames else "")
