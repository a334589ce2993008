"""What the worker can and cannot reach, per isolation level, and how levels are reported."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest
from sandbox_support import (
    CORRECT_NN,
    FAST,
    KIT,  # noqa: F401
    write_submission,
)

import nngrade
from nngrade.assignments.nn_from_scratch.training.worker_calls import train_steps
from nngrade.sandbox import (
    Limits,
    SandboxUnavailable,
    StudentError,
    WorkerCrashed,
    WorkerSession,
    probe_isolation,
)
from nngrade.sandbox.host.isolation import FEATURE_NAMES
from nngrade.sandbox.host.views import filesystem_args, kit_paths
from nngrade.sandbox.host.workspace import processes_of_uid

KIT_ROOT = Path(nngrade.__file__).resolve().parent.parent

PROBES = """
import os, socket

def connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError as exc:
        return type(exc).__name__
    return "connected"

def read(path):
    try:
        with open(path, "rb") as handle:
            return "read %d bytes" % len(handle.read())
    except OSError as exc:
        return type(exc).__name__

def write(path):
    try:
        with open(path, "w") as handle:
            handle.write("x")
    except OSError as exc:
        return type(exc).__name__
    return "written"

def listdir(path):
    return sorted(os.listdir(path))

def identity():
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
            "no_new_privs": status["NoNewPrivs"].strip(), "cap_eff": status["CapEff"].strip(),
            "cap_bnd": status["CapBnd"].strip(), "fds": sorted(os.listdir("/proc/self/fd"))}

def environment():
    return sorted(os.environ)

def processes():
    return sorted(int(p) for p in os.listdir("/proc") if p.isdigit())

def write_big(path, size):
    with open(path, "wb") as handle:
        handle.write(b"x" * size)
"""


@pytest.fixture
def probes(make_session):
    return make_session({"nn.py": PROBES})


# ----------------------------------------------------------------------------- bwrap confinement


def test_no_network_even_to_a_listener_on_loopback(probes):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        assert probes.func("connect", port) != "connected"
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_grading_kit_files_are_not_reachable_by_their_real_paths(probes):
    secrets = [KIT_ROOT / "reference" / "__init__.py", KIT_ROOT / "fixtures" / "__init__.py",
               Path(nngrade.__file__).resolve(), KIT_ROOT / "pyproject.toml"]
    assert all(path.exists() for path in secrets)
    for path in secrets:
        assert probes.func("read", str(path)) in ("FileNotFoundError", "PermissionError"), path


def test_kit_is_masked_even_inside_a_directory_shown_to_the_worker(tmp_path, bwrap_isolation):
    visible = tmp_path / "visible"
    visible.mkdir()
    (visible / "data.txt").write_text("hello")
    isolation = bwrap_isolation.with_extra_readonly([str(KIT_ROOT), str(visible)])
    submission = write_submission(tmp_path / "sub", {"nn.py": PROBES})
    with WorkerSession(submission, "nn", limits=FAST, isolation=isolation, **KIT) as session:
        assert session.func("read", str(visible / "data.txt")) == "read 5 bytes"
        assert session.func("read", str(KIT_ROOT / "reference" / "__init__.py")) == "FileNotFoundError"
        assert session.func("listdir", str(KIT_ROOT)) == []


def test_kit_mask_arguments():
    assert str(KIT_ROOT) in kit_paths()
    plain = filesystem_args((), kit_paths())
    kit = str(KIT_ROOT)
    assert not any(arg == kit or arg.startswith(kit + os.sep) for arg in plain)  # not bound, nothing to mask
    shown = filesystem_args((str(KIT_ROOT.parent),), kit_paths())
    assert shown[shown.index(str(KIT_ROOT)) - 1] == "--tmpfs"


def test_submission_is_read_only_and_the_original_is_untouched(probes, tmp_path):
    assert probes.func("write", "/submission/new.py") in ("OSError", "PermissionError")
    assert probes.func("write", "/submission/nn.py") in ("OSError", "PermissionError")
    assert probes.func("write", "/tmp/scratch.txt") == "written"
    assert sorted(p.name for p in (tmp_path / "submission0").iterdir()) == ["nn.py"]


def test_worker_runs_unprivileged_with_only_its_protocol_fds(probes):
    info = probes.func("identity")
    assert info["uid"] == info["gid"] == probes.sandbox_uid
    assert info["groups"] == []
    assert info["no_new_privs"] == "1"
    assert int(info["cap_eff"], 16) == 0 and int(info["cap_bnd"], 16) == 0
    # 0-2, the two protocol pipes, and the descriptor listdir itself used.
    assert len(info["fds"]) == 6


def test_environment_is_scrubbed(probes, monkeypatch):
    monkeypatch.setenv("NNGRADE_TEST_SECRET", "do-not-leak")
    probes.restart()
    assert probes.func("environment") == sorted([  # PWD is set by bubblewrap's --chdir
        "HOME", "LANG", "MKL_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "PATH",
        "PWD", "TMPDIR"])


def test_worker_sees_only_its_own_pid_namespace(probes):
    pids = probes.func("processes")
    assert len(pids) <= 4 and os.getpid() not in pids


def test_file_size_limit(make_session):
    session = make_session({"nn.py": PROBES}, limits=Limits(file_size=1 << 20))
    with pytest.raises(StudentError) as info:
        session.func("write_big", "/tmp/big", 2 << 20)
    assert info.value.type == "OSError"


def test_concurrent_sessions_get_distinct_uids_and_clean_up(tmp_path, bwrap_isolation):
    submission = write_submission(tmp_path / "sub", {"nn.py": PROBES})
    first = WorkerSession(submission, "nn", limits=FAST, isolation=bwrap_isolation, slot=3, **KIT)
    second = WorkerSession(submission, "nn", limits=FAST, isolation=bwrap_isolation, slot=3, **KIT)
    uids = (first.sandbox_uid, second.sandbox_uid)
    try:
        # Slot 3 is a preference: another grader on this machine may hold it.
        assert uids[0] != uids[1] and all(61000 <= uid < 62000 for uid in uids)
        assert first.func("identity")["uid"] == uids[0]
        assert second.func("identity")["uid"] == uids[1]
        staging = first._staging.root
    finally:
        first.close()
        second.close()
    assert not staging.exists()
    assert processes_of_uid(uids[0]) == [] and processes_of_uid(uids[1]) == []


def test_infrastructure_failure_is_sandbox_unavailable(tmp_path, bwrap_isolation):
    broken = bwrap_isolation.with_extra_readonly([str(tmp_path / "does-not-exist")])
    submission = write_submission(tmp_path / "sub", {"nn.py": PROBES})
    with WorkerSession(submission, "nn", limits=FAST, isolation=broken, **KIT) as session:
        with pytest.raises(SandboxUnavailable, match="did not start under the bwrap sandbox"):
            session.hello()


# ----------------------------------------------------------------------------- levels and reports


def test_bwrap_report_lists_every_feature(bwrap_isolation):
    report = bwrap_isolation.to_dict()
    assert report["level"] == "bwrap" and set(report["features"]) == set(FEATURE_NAMES)
    # Namespaces make Landlock unnecessary; forking stays allowed (RLIMIT_NPROC bounds it).
    unused = {"landlock", "no_subprocesses"}
    assert all(value for name, value in report["features"].items() if name not in unused)
    assert any("bubblewrap" in note for note in report["notes"])


def test_forced_rlimits_level_still_grades_correctly(tmp_path, monkeypatch):
    monkeypatch.setenv("NNGRADE_SANDBOX", "rlimits")
    isolation = probe_isolation()
    report = isolation.to_dict()
    assert report["level"] == "rlimits"
    assert report["features"]["namespaces"] is False and report["features"]["rlimits"] is True
    assert any("No namespaces" in note for note in report["notes"])
    assert any("NNGRADE_SANDBOX=rlimits" in note for note in report["notes"])
    submission = write_submission(tmp_path / "sub", {"nn.py": CORRECT_NN + "\nimport os\n"
                                                     "def bye():\n    os._exit(5)\n"})
    with WorkerSession(submission, "nn", limits=FAST, isolation=isolation, **KIT) as session:
        assert "Sigmoid" in session.hello()["names"]
        np.testing.assert_allclose(session.new("Sigmoid").call("forward", np.zeros(3)), 0.5)
        net = session.new("Network", [session.new("Linear", 2, 1)])
        result = train_steps(session, net, session.new("MSELoss"), np.ones((4, 2)),
                                     np.zeros((4, 1)), np.array([[0, 1], [2, 3]]), lr=0.1)
        assert result["losses"].shape == (2,)
        with pytest.raises(WorkerCrashed, match="status 5"):
            session.func("bye")
        assert "Linear" in session.hello()["names"]


def test_off_level_runs_plain_subprocesses(tmp_path):
    isolation = probe_isolation("off")
    assert isolation.level == "off" and not isolation.features["rlimits"]
    submission = write_submission(tmp_path / "sub", {"nn.py": CORRECT_NN})
    with WorkerSession(submission, "nn", limits=FAST, isolation=isolation, **KIT) as session:
        assert session.new("Sigmoid").call("forward", 0.0) == 0.5
        assert session.sandbox_uid is None


def test_strict_mode_refuses_levels_without_namespaces():
    with pytest.raises(SandboxUnavailable, match="strict"):
        probe_isolation("strict", level="rlimits")


def test_unknown_level_and_mode_are_refused():
    with pytest.raises(SandboxUnavailable, match="unknown sandbox level"):
        probe_isolation(level="docker")
    with pytest.raises(ValueError):
        probe_isolation("paranoid")
