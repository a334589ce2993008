"""The plain level (``off``): a worker as a plain subprocess, with portable primitives only.

It is what ``nngrade check`` runs on macOS and Windows. These tests run on
Linux; ``without_posix.py`` takes away what those systems lack (``fcntl``,
``resource``, ``pwd``, ``grp``, ``select.poll``, ``os.pipe2``, ``os.getuid`` ...)
from the grader and, through a wrapper interpreter, from the worker too.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sandbox_support import CORRECT_NN, FAST, write_submission

from nngrade.render.text import NO_ISOLATION_LINE
from nngrade.sandbox import Limits, WorkerCrashed, WorkerTimeout, probe_isolation
from nngrade.sandbox.host.plain_channel import SEPARATOR, MarkedOutput
from nngrade.sandbox.host.workspace import Staging
from nngrade.sandbox.inside import protocol

HERE = Path(__file__).resolve().parent
WITHOUT_POSIX = HERE / "without_posix.py"
ROOT = HERE.parent.parent
BROKEN = ROOT / "fixtures" / "submissions" / "diagonal_softmax_jacobian.py"
VERDICT = re.compile(r"^(PASS|FAIL|ERROR|TIMEOUT|NOT RUN)\s+\S+\s+.*\[([\w.]+)\]$")


@pytest.fixture
def plain_session(make_session):
    """Factory: ``plain_session(files, limits=FAST)``, a session on the off level."""
    return lambda files, limits=FAST: make_session(files, limits=limits, isolation=probe_isolation("off"))


# ----------------------------------------------------------------------------- nngrade check elsewhere


@pytest.fixture(scope="module")
def wrapper_interpreter(tmp_path_factory):
    """A Python that runs every program through without_posix.py, logging its arguments."""
    folder = tmp_path_factory.mktemp("interpreter")
    log = folder / "started.log"
    script = folder / "python"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{sys.executable}" -I -B -u "{WITHOUT_POSIX}" "$@"\n')
    script.chmod(0o755)
    return script, log


def run_check(submission: Path, *, without_posix=None) -> tuple[int, str]:
    prefix = [sys.executable, str(WITHOUT_POSIX), "--interpreter", str(without_posix)] if without_posix else \
        [sys.executable]
    result = subprocess.run([*prefix, "-m", "nngrade", "check", str(submission)], capture_output=True,
                            text=True, timeout=600, cwd=ROOT)
    return result.returncode, result.stdout + result.stderr


def verdicts(text: str) -> dict[str, str]:
    return {m.group(2): m.group(1) for m in map(VERDICT.match, text.splitlines()) if m}


@pytest.mark.parametrize("submission, exit_code", [(ROOT / "reference", 0), (BROKEN, 1)], ids=["correct", "broken"])
def test_check_without_the_posix_modules_gives_the_verdicts_of_the_linux_sandbox(
        submission, exit_code, wrapper_interpreter):
    script, log = wrapper_interpreter
    normal_code, normal = run_check(submission)
    plain_code, plain = run_check(submission, without_posix=script)
    assert (normal_code, plain_code) == (exit_code, exit_code), plain[-3000:]
    assert len(verdicts(normal)) > 20 and verdicts(plain) == verdicts(normal)
    assert ("FAIL" in verdicts(plain).values()) == (exit_code == 1)
    assert NO_ISOLATION_LINE in plain.splitlines() and NO_ISOLATION_LINE not in normal
    started = log.read_text()
    assert re.search(r"worker\.py - - \S+ ", started)  # the worker itself ran without those modules


@pytest.mark.parametrize("command", [["grade", "{sub}/nn.py", "--format", "text"], ["batch", "{sub}", "-o", "{out}"]])
def test_grading_still_refuses_to_run_student_code_without_isolation(command, tmp_path, wrapper_interpreter):
    marker = tmp_path / "ran"
    submission = write_submission(tmp_path / "sub", {"nn.py": f"open({str(marker)!r}, 'w').close()\n" + CORRECT_NN})
    arguments = [part.format(sub=submission, out=tmp_path / "results") for part in command]
    result = subprocess.run([sys.executable, str(WITHOUT_POSIX), "--interpreter", str(wrapper_interpreter[0]),
                             "-m", "nngrade", *arguments], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 3 and "grading runs on Linux only" in result.stderr
    assert not marker.exists() and not (tmp_path / "results" / "reports.jsonl").exists()


SESSION_WITHOUT_POSIX = """
import sys
from nngrade.sandbox import WorkerSession, WorkerTimeout, precheck_mode, probe_isolation

isolation = probe_isolation(precheck_mode("best-effort"))
with WorkerSession(sys.argv[1], "nn", isolation=isolation) as session:
    assert session.func("shout", 3) == 3 and session.take_output() == "shout 3\\n"
    try:
        with session.timeout(1.0):
            session.func("spin")
    except WorkerTimeout as exc:
        print("timeout:", exc)
    print("after:", session.func("shout", 4), repr(session.take_output()), session.generation)
print("level:", isolation.level)
"""


def test_without_the_posix_modules_a_looping_call_is_killed_and_prints_are_kept(tmp_path, wrapper_interpreter):
    submission = write_submission(tmp_path / "sub", {"nn.py": """
        def shout(n):
            print("shout", n)
            return n
        def spin():
            while True:
                pass
    """})
    result = subprocess.run([sys.executable, str(WITHOUT_POSIX), "--interpreter", str(wrapper_interpreter[0]),
                             "-c", SESSION_WITHOUT_POSIX, str(submission)],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == ["timeout: spin(): did not finish within 1 s; the worker was killed.",
                                          "after: 4 'shout 4\\n' 2", "level: off"]


def test_the_worker_program_speaks_the_protocol_on_stdin_and_stdout_without_the_posix_modules(tmp_path):
    submission = write_submission(tmp_path / "sub", {"nn.py": """
        import os, sys
        def noisy():
            print("to stdout")
            os.write(1, b"NNGR raw bytes on fd 1")
            print("to stderr", file=sys.stderr)
            return sys.modules.get("fcntl", "absent")
    """})
    staging = Staging(submission)
    try:
        env = {"PATH": os.environ.get("PATH", ""), "NNGRADE_OUTPUT_MARK": "feed"}
        worker = subprocess.Popen(
            [sys.executable, "-I", "-B", "-u", str(WITHOUT_POSIX), str(staging.worker_dir / "worker.py"),
             "-", "-", str(staging.submission_dir), "nn"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, bufsize=0)
        ready, _ = protocol.read_frame(worker.stdout.fileno(), 1 << 16)
        assert ready["op"] == "ready" and ready["uid"] is None  # os.getuid was taken away
        protocol.write_frame(worker.stdin.fileno(), {"op": "func", "id": 1, "name": "noisy",
                                                     "args": {"t": "list", "items": []}}, [])
        reply, _ = protocol.read_frame(worker.stdout.fileno(), 1 << 16)
        worker.stdin.close()
        printed = worker.stderr.read()
        assert worker.wait(timeout=30) == 0
    finally:
        staging.cleanup()
    assert reply == {"id": 1, "ok": True, "value": None, "blobs": []}  # sys.modules["fcntl"] is None there
    assert printed == b"to stdout\nNNGR raw bytes on fd 1to stderr\n" + SEPARATOR + b"feed:1" + SEPARATOR


# ----------------------------------------------------------------------------- the plain channel


def test_prints_are_captured_per_call_on_the_plain_channel(plain_session):
    session = plain_session({"nn.py": """
        import os, sys
        print("at import")
        def noisy(n):
            print("stdout", n)
            print("stderr", n, file=sys.stderr)
            os.write(1, b"fd1 %d\\n" % n)
            return n * 2
        def quiet(n):
            return n
    """})
    session.hello()
    assert session.take_output() == "at import\n"
    for n in range(40):
        if n % 3:
            assert session.func("noisy", n) == 2 * n
            assert session.take_output() == f"stdout {n}\nstderr {n}\nfd1 {n}\n"
        else:
            assert session.func("quiet", n) == n
            assert session.take_output() == ""
    assert session.generation == 1


def test_output_cap_applies_and_forged_marks_are_just_text(plain_session):
    session = plain_session({"nn.py": """
        import sys
        def flood():
            sys.stdout.write("a" + "x" * 3_000_000 + "z")
            return 7
        def forge():
            sys.stdout.write("\\x1edeadbeef:99\\x1e and \\x1e")
            return 8
    """}, limits=Limits(call_timeout=60.0, output_cap=1024))
    assert session.func("flood") == 7
    text = session.take_output()
    assert text.startswith("axxx") and text.endswith("xxz") and "[2998978 bytes of output omitted]" in text
    assert session.func("forge") == 8
    assert session.take_output() == "\x1edeadbeef:99\x1e and \x1e"


def test_a_looping_call_is_killed_at_its_deadline_on_the_plain_channel(plain_session):
    session = plain_session({"nn.py": """
        def spin():
            while True:
                pass
        def answer():
            return 42
    """})
    assert session.func("answer") == 42
    worker = session._worker
    with session.timeout(1.0), pytest.raises(WorkerTimeout, match="did not finish within 1 s"):
        session.func("spin")
    assert worker.popen.poll() is not None  # killed, not left spinning
    assert session.func("answer") == 42 and session.generation == 2


def test_reply_frames_written_to_stdout_by_student_code_never_reach_the_grader(plain_session):
    forged = protocol.frame_buffers({"id": 2, "ok": True, "value": 666}, [])
    session = plain_session({"nn.py": f"""
        import sys
        def forge():
            sys.stdout.buffer.write({b"".join(bytes(b) for b in forged)!r})
            sys.stdout.flush()
            return 1
        def answer():
            return 42
    """})
    assert session.func("forge") == 1
    assert session.func("answer") == 42
    assert '"value":666' in session.take_output()


def test_crashes_are_reported_with_their_status_or_signal(plain_session):
    session = plain_session({"nn.py": CORRECT_NN + """
import ctypes, os
def bye():
    os._exit(5)
def segfault():
    ctypes.string_at(0)
"""})
    with pytest.raises(WorkerCrashed, match="status 5"):
        session.func("bye")
    with pytest.raises(WorkerCrashed, match="SIGSEGV"):
        session.func("segfault")
    assert np.allclose(session.new("Sigmoid").call("forward", np.zeros(2)), 0.5)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1000])
def test_marks_cut_anywhere_by_the_pipe_are_found_and_removed(chunk):
    prefix = SEPARATOR + b"0123abcd:"
    stream = b"one\n" + prefix + b"1" + SEPARATOR + b"\x1e0123" + prefix + b"22" + SEPARATOR + b"tail\x1e012"
    text, marks = bytearray(), []
    splitter = MarkedOutput(prefix, text.extend, lambda i: marks.append((i, bytes(text))))
    for start in range(0, len(stream), chunk):
        splitter.feed(stream[start:start + chunk])
    splitter.end()
    assert marks == [(1, b"one\n"), (22, b"one\n\x1e0123")]
    assert bytes(text) == b"one\n\x1e0123tail\x1e012"


def test_the_plain_level_says_it_has_no_isolation():
    isolation = probe_isolation("off")
    assert isolation.implementation.channel == "stdio"
    assert not any(isolation.features[name] for name in ("namespaces", "landlock", "seccomp", "rlimits",
                                                           "uid_dropped", "new_session"))
    assert json.dumps(isolation.to_dict())


def test_tracebacks_with_windows_paths_keep_only_the_submissions_frames():
    from nngrade.engine.grading import student_traceback

    root = "C:\\Users\\ada\\AppData\\Local\\Temp\\nngrade-k2x9\\"
    trace = (f'Traceback (most recent call last):\n  File "{root}nngrade\\worker.py", line 290, in op_call\n'
             f'    value = getattr(target, method)(*args, **kwargs)\n'
             f'  File "{root}submission\\nn.py", line 7, in forward\n    return 1 / x\n'
             'ZeroDivisionError: division by zero')
    assert student_traceback(trace) == [f'  File "{root}submission\\nn.py", line 7, in forward',
                                        "    return 1 / x", "ZeroDivisionError: division by zero"]


def test_a_worker_whose_stderr_is_closed_keeps_answering_on_the_plain_channel(plain_session):
    session = plain_session({"nn.py": """
        import os
        def close_stderr():
            os.close(2)
            return 1
        def shout(n):
            os.write(1, b"still here %d\\n" % n)
            return n
    """})
    assert session.func("close_stderr") == 1
    assert [session.func("shout", n) for n in range(4)] == [0, 1, 2, 3]
    assert session.generation == 1
    session.restart()  # the output pipe ends with the worker: everything fd 1 wrote was kept
    assert session.take_output() == "".join(f"still here {n}\n" for n in range(4))
