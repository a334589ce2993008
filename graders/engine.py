"""Grade one submission: loader -> sandboxed worker -> checks -> Report.

This is the only module that knows the whole flow; each stage lives in its own
package (``loader``, ``sandbox``, ``checks``, ``results``, ``render``).
Nothing a submission does can raise out of :func:`grade`: every failure ends
up as a check status in a complete report.
"""
from __future__ import annotations

import os
import platform
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from graders import __version__, blas
from graders.checks.api import missing_api
from graders.checks.compare import CheckFailed, NotRun
from graders.checks.context import CheckContext, Partial
from graders.checks.registry import collect
from graders.config import check_settings, load_config
from graders.fixture_store import fixtures_dir, manifest, manifest_sha256
from graders.loader import load_submission
from graders.replays import disk_cache_for
from graders.results import CheckResult, Report
from graders.sandbox import (Limits, ProtocolError, SandboxUnavailable, StudentError, WorkerCrashed,
                             WorkerTimeout)
from graders.startup import Startup

WORKER_DIR = "/nngrade/"  # the folder of the worker's own programs, at every sandbox level
INFRASTRUCTURE = "grader infrastructure error (not a fault of the submission; please report it): "


def limits_from_config(config: dict) -> Limits:
    """Sandbox limits from the ``[limits]`` section of the configuration."""
    section = config["limits"]
    return Limits(call_timeout=section["call_timeout"], start_timeout=section["worker_start_timeout"],
                  cpu_seconds=section["cpu_seconds"], address_space=section["address_space_mb"] << 20,
                  max_processes=section["max_processes"], output_cap=section["output_cap_kb"] << 10)


def selected_checks(config: dict, mode: str):
    """The checks of this mode with their points and visibility from the configuration."""
    chosen = []
    for spec in collect():
        points, hidden = check_settings(config, spec.id)
        visibility = "hidden" if (hidden if hidden is not None else spec.visibility == "hidden") else "public"
        if mode == "check" and visibility == "hidden":
            continue
        chosen.append((spec, points, visibility))
    return chosen


def _catalogue(check_id: str, status: str, observations: dict) -> list:
    """The diagnosis catalogue, imported only for a check that did not pass after observing something.

    Every detector reads observations; with none (e.g. MNIST not run) there is nothing to diagnose.
    """
    if not observations:
        return []
    from graders.diagnoses import diagnose

    return diagnose(check_id, status, observations)


#: MNIST loaded in this process, keyed by its folder and the size and mtime of its files.
_mnist_loaded: dict[tuple, object] = {}
_mnist_lock = threading.Lock()
os.register_at_fork(after_in_child=lambda: globals().update(_mnist_lock=threading.Lock()))


def load_mnist_once(mnist_dir=None):
    """:func:`graders.data.load_mnist`, kept in memory while the files in its folder are unchanged.

    The arrays are made read-only: every later grade in this process shares them.
    """
    from graders.data import find_mnist_dir, load_mnist

    directory = find_mnist_dir(mnist_dir)
    if directory is None:  # the offline fallback, or nothing (raises)
        return load_mnist(mnist_dir)
    files = tuple((entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
                  for entry in sorted(directory.iterdir()) if entry.name.startswith(("train-", "t10k-")))
    key = (str(directory), files)
    with _mnist_lock:
        if key not in _mnist_loaded:
            data = load_mnist(directory)
            for array in (data.x_train, data.y_train, data.x_test, data.y_test):
                array.flags.writeable = False
            _mnist_loaded.clear()  # one data set at a time: a changed folder replaces it
            _mnist_loaded[key] = data
        return _mnist_loaded[key]


def _mnist_provider(mnist_dir):
    """A callable that loads MNIST once (see :func:`load_mnist_once`), or records why it cannot."""
    state: dict = {}

    def provide():
        if "data" not in state:
            from graders.data import DatasetUnavailable

            try:
                state["data"] = load_mnist_once(mnist_dir)
            except (DatasetUnavailable, OSError, ValueError) as exc:
                state["data"], state["error"] = None, f"dataset unavailable: {exc}"
        return state["data"]

    return provide, state


def _run_one(spec, session, config, extras) -> tuple[str, float, str, CheckContext]:
    """Run one check; returns (status, fraction of points, message, context)."""
    ctx = CheckContext(spec, session, config, extras)
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
    except WorkerCrashed as exc:
        return "error", 0.0, f"the process running your code died: {exc}", ctx
    except ProtocolError as exc:
        return "error", 0.0, f"your code returned something that is not a plain numeric value: {exc}", ctx
    except SandboxUnavailable:
        raise
    except Exception as exc:  # a grader bug must cost one check, never the report
        return "error", 0.0, INFRASTRUCTURE + f"{type(exc).__name__}: {exc}", ctx
    if isinstance(outcome, Partial):
        return "failed", outcome.fraction, outcome.message, ctx
    return "passed", 1.0, "", ctx


def grade(path, *, mode: str = "grade", config: dict | None = None, config_path=None, seed: int | None = None,
          mnist_dir=None, sandbox: str = "best-effort", submission_id: str | None = None, slot: int = 0,
          diagnose=None) -> Report:
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
        Offsets the XOR seeds and the MNIST seed (default: the configured ones).
    mnist_dir : path, optional
        Directory with the MNIST IDX files (else ``NNGRADE_MNIST_DIR``, the cache, the offline subset).
    sandbox : {"strict", "best-effort", "off"}
        Isolation policy of the worker.
    slot : int
        Concurrency slot: parallel graders use distinct slots (distinct sandbox uids).
    diagnose : callable, optional
        ``diagnose(check_id, status, observations) -> list[Diagnosis]``; default: the catalogue.

    Raises
    ------
    SandboxUnavailable
        Only with ``sandbox="strict"`` when no namespace isolation is available.

    Notes
    -----
    The grader's BLAS runs one thread while grading (:mod:`graders.blas`).
    """
    with blas.single_thread():
        return _grade(path, mode=mode, config=config, config_path=config_path, seed=seed, mnist_dir=mnist_dir,
                      sandbox=sandbox, submission_id=submission_id, slot=slot, diagnose=diagnose)


def _grade(path, *, mode, config, config_path, seed, mnist_dir, sandbox, submission_id, slot, diagnose) -> Report:
    started = time.perf_counter()
    config = config or load_config(config_path)
    diagnose = diagnose or _catalogue
    folder = fixtures_dir()
    checks = selected_checks(config, mode)
    provide_mnist, mnist_state = _mnist_provider(mnist_dir)
    startup = Startup(sandbox, checks, provide_mnist)  # probe, fixtures and MNIST, overlapped
    with tempfile.TemporaryDirectory(prefix="nngrade-") as workdir:
        loaded = load_submission(Path(path), Path(workdir), submission_id=submission_id)
        session = (startup.session(loaded.module_dir, loaded.entry, limits=limits_from_config(config), slot=slot)
                   if loaded.ok else None)
        isolation = startup.isolation()
        report = Report(submission=loaded.info, mode=mode, kit_version=__version__,
                        fixtures={"version": manifest(folder)["version"], "manifest_sha256": manifest_sha256(folder)},
                        environment={"python": platform.python_version(), "numpy": np.__version__,
                                     "platform": platform.platform(), "sandbox": isolation.to_dict()})
        if session is None:
            report.checks = [_skipped(spec, points, visibility, "error" if spec.id == "api.conformance" else "not_run",
                                      f"the submission could not be loaded: {loaded.info.error}")
                             for spec, points, visibility in checks]
            report.duration = round(time.perf_counter() - started, 3)
            return report
        with session:
            report.checks = _run_checks(session, checks, config, diagnose, {
                "mnist": provide_mnist, "fixtures_folder": folder, "replay_cache": disk_cache_for(isolation),
                "seed_offset": 0 if seed is None else int(seed)}, mnist_state, report)
    report.duration = round(time.perf_counter() - started, 3)
    return report


def _skipped(spec, points, visibility, status, message) -> CheckResult:
    return CheckResult(id=spec.id, name=spec.name, group=spec.group, points=0.0, max_points=points,
                       status=status, visibility=visibility, message=message)


def _run_checks(session, checks, config, diagnose, extras, mnist_state, report) -> list[CheckResult]:
    try:
        hello = session.hello()
    except SandboxUnavailable as exc:
        return [_skipped(s, p, v, "error", INFRASTRUCTURE + str(exc)) for s, p, v in checks]
    except (WorkerTimeout, WorkerCrashed, ProtocolError) as exc:
        hello = {"import_error": {"type": type(exc).__name__, "message": str(exc)}}
    report.output = session.take_output()
    extras["hello"] = hello
    import_error = hello.get("import_error")
    results: list[CheckResult] = []
    status_of: dict[str, str] = {}
    for spec, points, visibility in checks:
        began = time.perf_counter()
        if import_error:
            status = "error" if spec.id == "api.conformance" else "not_run"
            message = ("importing your submission failed: " + _describe_error(import_error)
                       if status == "error" else "not run: the submission could not be imported")
            results.append(_skipped(spec, points, visibility, status, message))
            status_of[spec.id] = status
            continue
        missing = missing_api(hello, spec.needs_api)
        blocked = [n for n in spec.needs if status_of.get(n) != "passed"]
        if missing or blocked:
            why = (f"needs {', '.join(missing)}, which your submission does not define" if missing
                   else f"needs check {', '.join(blocked)} to pass first")
            results.append(_skipped(spec, points, visibility, "not_run", f"not run: {why}"))
            status_of[spec.id] = "not_run"
            continue
        try:
            status, fraction, message, ctx = _run_one(spec, session, config, extras)
        except SandboxUnavailable as exc:
            status, fraction, message, ctx = "error", 0.0, INFRASTRUCTURE + str(exc), None
        if spec.group == "mnist" and status == "not_run" and "error" in mnist_state:
            message = f"not run: {mnist_state['error']}"
        result = CheckResult(id=spec.id, name=spec.name, group=spec.group,
                             points=round(points * fraction, 6), max_points=points, status=status,
                             visibility=visibility, message=message, output=session.take_output(),
                             duration=round(time.perf_counter() - began, 4),
                             data=ctx.data if ctx is not None else {})
        if status != "passed" and ctx is not None:
            result.diagnoses = diagnose(spec.id, status, ctx.observations)
        results.append(result)
        status_of[spec.id] = status
    return results


def student_traceback(traceback: str) -> list[str]:
    """The traceback's frames in the submission's files (the worker's own frames dropped)."""
    kept, keep = [], True
    for line in traceback.splitlines():
        if line.startswith("  File "):
            keep = WORKER_DIR not in line or "/submission/" in line
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
    trace = error.get("traceback")
    return f"{text}\n{trace}" if trace else text
