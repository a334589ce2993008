"""The landlock level (forced with NNGRADE_SANDBOX=landlock) and the seccomp filter of the bwrap level.

Every probe is bounded: at most a handful of forks, threads or signals, and
the session's call deadline.
"""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest
from sandbox_support import FAST, KIT, write_submission

import nngrade
from nngrade.sandbox import SandboxUnavailable, WorkerSession, probe_isolation
from nngrade.sandbox.host.isolation import FEATURE_NAMES
from nngrade.sandbox.host.levels import LEVELS
from nngrade.sandbox.host.views import landlock_rules, readable_except
from nngrade.sandbox.inside import confine

KIT_ROOT = Path(nngrade.__file__).resolve().parent.parent

PROBES = r"""
import ctypes, os, signal, socket, subprocess, threading, time

libc = ctypes.CDLL(None, use_errno=True)

def attempt(action):
    try:
        result = action()
    except BaseException as exc:
        return type(exc).__name__
    return "ok" if result is None else result

def read(path):
    return attempt(lambda: "read %d bytes" % len(open(path, "rb").read()))

def write(path):
    def go():
        with open(path, "w") as handle:
            handle.write("x")
    return attempt(go)

def listdir(path):
    return attempt(lambda: sorted(os.listdir(path)))

def connect(port):
    return attempt(lambda: socket.create_connection(("127.0.0.1", port), timeout=2).close())

def fork():
    def go():
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    return attempt(go)

def run_program():
    return attempt(lambda: subprocess.run(["/bin/true"], timeout=5).returncode)

def exec_program():
    return attempt(lambda: os.execv("/bin/true", ["/bin/true"]))

def new_user_namespace():
    if libc.unshare(0x10000000) == 0:  # CLONE_NEWUSER
        return "created"
    return os.strerror(ctypes.get_errno())

def new_session():
    return attempt(os.setsid)

def signal_parent():
    return attempt(lambda: os.kill(os.getppid(), 0))

def limit_parent():
    import resource
    return attempt(lambda: resource.prlimit(os.getppid(), resource.RLIMIT_CORE))

def threads(count):
    results = []
    workers = [threading.Thread(target=lambda: results.append(sum(range(1000)))) for _ in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(5)
    return len(results)

def signal_self():
    seen = []
    signal.signal(signal.SIGUSR1, lambda *args: seen.append(1))
    signal.raise_signal(signal.SIGUSR1)
    return len(seen)

def seccomp_mode():
    return libc.prctl(21, 0, 0, 0, 0)  # PR_GET_SECCOMP
"""


@pytest.fixture(scope="module")
def landlock_isolation():
    reason = LEVELS["landlock"].unavailable_reason()
    if reason:
        pytest.skip(reason)
    isolation = probe_isolation("strict", level="landlock")
    assert isolation.level == "landlock"
    return isolation


@pytest.fixture
def landlocked(tmp_path, landlock_isolation):
    submission = write_submission(tmp_path / "submission", {"nn.py": PROBES})
    with WorkerSession(submission, "nn", limits=FAST, isolation=landlock_isolation, **KIT) as session:
        yield session


def test_forcing_the_landlock_level_reports_it(monkeypatch, landlock_isolation):
    monkeypatch.setenv("NNGRADE_SANDBOX", "landlock")
    isolation = probe_isolation()
    report = isolation.to_dict()
    assert report["level"] == "landlock" and set(report["features"]) == set(FEATURE_NAMES)
    features = report["features"]
    assert features["landlock"] and features["seccomp"] and features["no_subprocesses"]
    assert features["kit_hidden"] and features["network_isolated"] and features["userns_blocked"]
    assert not features["namespaces"] and not features["pid_namespace"]
    assert any(note.startswith("Landlock ABI") for note in report["notes"])
    assert any("NNGRADE_SANDBOX=landlock" in note for note in report["notes"])


def test_kit_fixtures_system_files_and_proc_are_unreadable(landlocked):
    for path in [KIT_ROOT / "reference" / "layers.py", KIT_ROOT / "fixtures" / "manifest.json",
                 Path(nngrade.__file__), KIT_ROOT / "pyproject.toml", "/etc/passwd", "/proc/1/environ",
                 f"/proc/{os.getpid()}/mem"]:
        assert os.path.exists(path), path
        assert landlocked.func("read", str(path)) in ("PermissionError", "FileNotFoundError"), path
    assert landlocked.func("listdir", "/proc") == "PermissionError"
    assert landlocked.func("listdir", str(KIT_ROOT)) == "PermissionError"


def test_only_the_scratch_directory_is_writable(landlocked, tmp_path):
    assert landlocked.func("write", "scratch.txt") == "ok"  # the cwd is the scratch directory
    assert landlocked.func("read", "scratch.txt") == "read 1 bytes"
    target = tmp_path / "outside.txt"
    assert landlocked.func("write", str(target)) == "PermissionError"
    assert landlocked.func("write", "/tmp/nngrade-landlock-probe.txt") == "PermissionError"
    assert not target.exists() and not Path("/tmp/nngrade-landlock-probe.txt").exists()


def test_no_network_processes_exec_sessions_or_namespaces(landlocked):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        assert landlocked.func("connect", listener.getsockname()[1]) == "PermissionError"
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert landlocked.func("fork") == "PermissionError"
    assert landlocked.func("run_program") == "PermissionError"
    assert landlocked.func("exec_program") == "PermissionError"
    assert landlocked.func("new_session") == "PermissionError"
    assert landlocked.func("new_user_namespace") != "created"
    assert landlocked.func("seccomp_mode") == 2


def test_the_grader_cannot_be_signalled_or_limited(landlocked):
    assert landlocked.func("signal_parent") == "PermissionError"
    assert landlocked.func("limit_parent") == "PermissionError"


def test_threads_and_signals_to_itself_still_work(landlocked):
    assert landlocked.func("threads", 8) == 8
    assert landlocked.func("signal_self") == 1


def test_strict_mode_accepts_landlock_and_refuses_rlimits(landlock_isolation):
    assert probe_isolation("strict", level="landlock").level == "landlock"
    with pytest.raises(SandboxUnavailable, match="namespace isolation or Landlock"):
        probe_isolation("strict", level="rlimits")


def test_without_landlock_the_level_reports_itself_unavailable(monkeypatch):
    from nngrade.sandbox.host import isolation as isolation_module

    level = LEVELS["landlock"]
    monkeypatch.setattr(confine, "landlock_abi", lambda: 0)
    monkeypatch.setattr(isolation_module, "_CACHE", {})
    assert "does not offer Landlock" in level.unavailable_reason()
    fallback = probe_isolation("best-effort", level="landlock")
    assert fallback.level == "rlimits"
    assert any("does not offer Landlock" in note for note in fallback.notes)
    with pytest.raises(SandboxUnavailable, match="strict"):
        probe_isolation("strict", level="landlock")


def test_seccomp_filters_are_refused_on_unknown_machines(monkeypatch):
    assert len(confine.build_filter("confined", 1234, "x86_64")) % 8 == 0
    assert len(confine.build_filter("namespaces", 1, "aarch64")) % 8 == 0
    monkeypatch.setattr(confine, "machine", lambda: "sparc64")
    assert "sparc64" in confine.seccomp_unavailable_reason()
    with pytest.raises(OSError):
        confine.install_seccomp("confined")


@pytest.fixture
def traversable_dir():
    """A folder the slot uid can reach (pytest's tmp_path may sit in a 0700 folder of root's)."""
    folder = Path(tempfile.mkdtemp(prefix="nngrade-shared-", dir="/tmp"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_hidden_path_inside_an_allowed_directory_is_split_out(tmp_path, traversable_dir, monkeypatch,
                                                                landlock_isolation):
    shared = traversable_dir / "shared"
    (shared / "fixtures").mkdir(parents=True)
    (shared / "fixtures" / "secret.npz").write_text("hidden")
    (shared / "public.txt").write_text("visible")
    os.chmod(shared / "public.txt", 0o644)
    os.symlink(shared / "fixtures", shared / "alias")
    monkeypatch.setenv("NNGRADE_FIXTURES_DIR", str(shared / "fixtures"))
    hidden = (str((shared / "fixtures").resolve()),)
    rules = readable_except(str(shared.resolve()), hidden)
    assert (str(shared.resolve()), "list") in rules and (str((shared / "public.txt").resolve()), "read") in rules
    assert not any(path.startswith(hidden[0]) for path, _ in rules)
    isolation = landlock_isolation.with_extra_readonly([str(shared)])
    submission = write_submission(tmp_path / "submission", {"nn.py": PROBES})
    with WorkerSession(submission, "nn", limits=FAST, isolation=isolation, **KIT) as session:
        assert session.func("read", str(shared / "public.txt")) == "read 7 bytes"
        assert session.func("read", str(shared / "fixtures" / "secret.npz")) == "PermissionError"
        assert session.func("read", str(shared / "alias" / "secret.npz")) == "PermissionError"


def test_landlock_rules_never_grant_the_kit(tmp_path):
    rules = landlock_rules(tmp_path / "w", tmp_path / "s", tmp_path / "scratch", (str(KIT_ROOT.parent),))
    granted = [path for path, access in rules if access != "list"]
    assert not any(path == str(KIT_ROOT) or path.startswith(str(KIT_ROOT) + "/") for path in granted)
    assert (str(tmp_path / "scratch"), "write") in rules


# ----------------------------------------------------------------------------- bwrap + seccomp


def test_bwrap_level_blocks_user_namespaces_but_still_forks(make_session, bwrap_isolation):
    assert bwrap_isolation.features["seccomp"] and bwrap_isolation.features["userns_blocked"]
    assert not any("can still create user namespaces" in note for note in bwrap_isolation.notes)
    session = make_session({"nn.py": PROBES})
    assert session.func("new_user_namespace") == os.strerror(1)  # EPERM
    assert session.func("fork") == "ok"
    assert session.func("seccomp_mode") == 2
