"""Grade corpus entries in a separate grader process with a deadline, and judge the reports.

Each run is the command line ``nngrade grade SUBMISSION --format json -o
OUTPUT --config ...`` executed in a forked child process in its own session
(forking skips the interpreter start-up and reuses the isolation probe of the
test process). An attack that broke out of the sandbox could at worst kill
that grader process (and fail the test), never the test runner; a run that
does not end within :data:`DEADLINE` seconds is killed and reported as hung.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socketserver
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from submissions import REFERENCE_DIR, reference_source

from hostile.kit import CONFIGS, Context, Entry
from nngrade.cli import main as nngrade
from nngrade.engine.fixture_store import fixtures_dir
from nngrade.render import validate_report
from nngrade.sandbox import probe_isolation

#: Generous "did not hang" deadline of one grading run (seconds).
DEADLINE = 240.0
MNIST_VARIABLE = "NNGRADE_MNIST_DIR"
KIT_ROOT = REFERENCE_DIR.parent


@dataclass
class Outcome:
    """One grading run of one entry."""

    entry: str
    level: str
    report: dict | None
    returncode: int | None
    stderr: str
    unearned: float = 0.0
    attacked_points: float = 0.0
    problems: list[str] = field(default_factory=list)


def new_context(root: Path, run: int = 0, token: str | None = None, port: int | None = None) -> Context:
    root.mkdir(parents=True, exist_ok=True)
    context = Context(root=root, token=token or secrets.token_hex(6), output=root / "autograder" / "results" /
                      "results.json", grader_cwd=root / "grader-cwd", canary=root / "canary", kit_root=KIT_ROOT,
                      fixtures=fixtures_dir(), port=port, run=run)
    for folder in (context.grader_cwd, context.canary, context.output.parent):
        folder.mkdir(parents=True, exist_ok=True)
    return context


def _grade_in_this_child(arguments: list[str], cwd: Path, env: dict[str, str], log: Path) -> int:
    """Body of the forked grader: run the command line, return its exit status (never raises)."""
    try:
        os.setsid()
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        handle = open(log, "w")  # noqa: SIM115 - lives until os._exit
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        sys.stdout = sys.stderr = handle
        nngrade.main(arguments, prog_name="nngrade", standalone_mode=False)
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - reported through the exit status and the log
        traceback.print_exc()
        return 70
    finally:
        sys.stdout.flush()


def _wait(pid: int, deadline: float) -> int | None:
    """Exit status of child ``pid``, or None (after killing its session) when the deadline passes."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.killpg(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def grade_in_subprocess(entry: Entry, context: Context, level: str | None) -> Outcome:
    """Build ``entry`` in ``context``, grade it with the CLI in a child process, and return the validated report."""
    submission = entry.build(context)
    config = context.root / f"{entry.config}.toml"
    config.write_text(CONFIGS[entry.config])
    arguments = ["grade", str(submission), "--format", "json", "-o", str(context.output), "--config", str(config)]
    env = dict(os.environ)
    if entry.needs_mnist:
        arguments += ["--mnist-dir", env[MNIST_VARIABLE]]
    else:
        empty = context.root / "no-mnist"
        empty.mkdir(exist_ok=True)
        arguments += ["--mnist-dir", str(empty)]
        env.pop(MNIST_VARIABLE, None)
    if level:
        env["NNGRADE_SANDBOX"] = level
    probe_isolation("best-effort", level)  # probed once here, inherited by every child
    if context.output.exists():
        context.output.unlink()
    log = context.root / f"grader-{context.run}.log"
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os._exit(_grade_in_this_child(arguments, context.grader_cwd, env, log))
    returncode = _wait(pid, DEADLINE)
    text = log.read_text(errors="replace")[-4000:] if log.exists() else ""
    if returncode is None:
        return Outcome(entry.name, level or "best", None, None, text,
                       problems=[f"the grader did not finish within {DEADLINE:g} s"])
    outcome = Outcome(entry.name, level or "best", None, returncode, text)
    if returncode != 0 or not context.output.is_file():
        outcome.problems.append(f"the grader exited with {returncode} and no report: {text}")
        return outcome
    report = json.loads(context.output.read_text())
    validate_report(report)
    outcome.report = report
    return outcome


def judge(entry: Entry, outcome: Outcome) -> Outcome:
    """Count points earned on attacked checks and list honest checks that did not pass."""
    if outcome.report is None:
        return outcome
    outcome.level = outcome.report["environment"]["sandbox"]["level"]
    messages = []
    api = next(c for c in outcome.report["checks"] if c["id"] == "api.conformance")
    if entry.imports and api["status"] != "passed":
        outcome.problems.append(f"the submission did not import, so its attack never ran: {api['message'][:500]}")
    for check in outcome.report["checks"]:
        if check["max_points"] <= 0 or (check["group"] == "mnist" and not entry.needs_mnist):
            continue  # the MNIST check does not run without the data, and is judged only when it does
        if entry.is_attacked(check["id"]):
            outcome.attacked_points += check["max_points"]
            outcome.unearned += check["points"]
            messages.append(check["message"])
            if check["points"] > 0:
                outcome.problems.append(f"{check['id']} earned {check['points']} of {check['max_points']} "
                                        f"({check['status']}): {check['message'][:300]}")
            elif entry.expect and check["status"] not in entry.expect:
                outcome.problems.append(f"{check['id']} ended {check['status']}, expected one of {entry.expect} "
                                        f"(did the attack run?): {check['message'][:300]}")
        elif entry.must_pass(check["id"]) and not (check["status"] == "passed"
                                                    and check["points"] == check["max_points"]):
            outcome.problems.append(f"honest check {check['id']} did not pass ({check['status']}): "
                                    f"{check['message'][:500]}")
    if entry.evidence and not any(entry.evidence in message for message in messages):
        outcome.problems.append(f"no attacked check mentions {entry.evidence!r} (did the attack run?)")
    return outcome


def run_entry(entry: Entry, root: Path, level: str | None = None, port: int | None = None) -> list[Outcome]:
    """Grade ``entry`` ``entry.runs`` times in a row (shared token) and judge every run."""
    token = secrets.token_hex(6)
    outcomes = []
    for run in range(entry.runs):
        context = new_context(root, run=run, token=token, port=port)
        outcome = judge(entry, grade_in_subprocess(entry, context, level))
        if entry.after is not None and outcome.report is not None:
            try:
                entry.after(context, outcome)
            except AssertionError as exc:
                outcome.problems.append(f"side effect: {exc}")
        outcomes.append(outcome)
    return outcomes


class _ReferenceHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(5)
        self.request.sendall(reference_source().encode())


@contextmanager
def reference_server():
    """A loopback TCP server that sends the reference source to whoever connects (bounded: 5 s per client)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _ReferenceHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
