"""Slot uids are reserved host-wide, their IPC leftovers are swept, and a root worker needs explicit consent."""
from __future__ import annotations

import ctypes
import os
import sys
import tempfile

import pytest

from nngrade.sandbox import SandboxUnavailable
from nngrade.sandbox.host import isolation as isolation_module
from nngrade.sandbox.host.interpreter import unreachable_by_others
from nngrade.sandbox.host.workspace import SandboxAccount, remove_ipc_objects

IPC_CREAT, IPC_RMID, IPC_SET = 0o1000, 0, 1
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root reserves slot uids")


class _IpcPerm(ctypes.Structure):  # struct ipc64_perm as glibc's shmid_ds begins (x86_64 and aarch64)
    _fields_ = [("key", ctypes.c_int), ("uid", ctypes.c_uint), ("gid", ctypes.c_uint), ("cuid", ctypes.c_uint),
                ("cgid", ctypes.c_uint), ("mode", ctypes.c_ushort), ("pad1", ctypes.c_ushort),
                ("seq", ctypes.c_ushort), ("pad2", ctypes.c_ushort), ("unused", ctypes.c_ulong * 2)]


class _ShmidDs(ctypes.Structure):
    _fields_ = [("perm", _IpcPerm), ("rest", ctypes.c_ulong * 16)]


@needs_root
def test_graders_with_different_tmpdirs_reserve_different_slots(monkeypatch):
    first_tmp, second_tmp = tempfile.mkdtemp(), tempfile.mkdtemp()
    monkeypatch.setattr(tempfile, "tempdir", first_tmp)
    first = SandboxAccount.reserve(0)
    try:
        monkeypatch.setattr(tempfile, "tempdir", second_tmp)
        second = SandboxAccount.reserve(0)
        try:
            assert first.uid != second.uid
        finally:
            second.release()
    finally:
        first.release()


@needs_root
def test_the_sweep_removes_ipc_objects_of_the_slot_uid():
    libc = ctypes.CDLL(None, use_errno=True)
    account = SandboxAccount.reserve()
    try:
        segment = libc.shmget(0, 4096, IPC_CREAT | 0o600)
        assert segment >= 0, os.strerror(ctypes.get_errno())
        info = _ShmidDs()
        assert libc.shmctl(segment, 2, ctypes.byref(info)) == 0  # IPC_STAT
        info.perm.uid, info.perm.gid = account.uid, account.gid
        assert libc.shmctl(segment, IPC_SET, ctypes.byref(info)) == 0
        mine = libc.shmget(0, 4096, IPC_CREAT | 0o600)  # root's own segment must survive
        try:
            account.sweep()
            assert libc.shmctl(segment, 2, ctypes.byref(info)) != 0, "the slot uid's segment survived"
            assert libc.shmctl(mine, 2, ctypes.byref(info)) == 0
            assert remove_ipc_objects(account.uid) == 0
        finally:
            libc.shmctl(mine, IPC_RMID, None)
            libc.shmctl(segment, IPC_RMID, None)
    finally:
        account.release()


def _probe_where_no_uid_drop_works(monkeypatch):
    monkeypatch.setattr(isolation_module.os, "geteuid", lambda: 0)
    monkeypatch.setattr(isolation_module, "_try_trivial_worker",
                        lambda iso: "a trial worker as an unprivileged uid failed" if iso.drop_privileges else None)
    monkeypatch.setattr(isolation_module, "unreachable_by_others", lambda path: "/root")

    def no_copy():
        raise OSError("read-only /var/cache")

    monkeypatch.setattr(isolation_module, "reachable_copy", no_copy)
    return isolation_module._probe("best-effort", "landlock")


def test_no_root_worker_unless_allowed(monkeypatch):
    monkeypatch.delenv(isolation_module.ENV_ALLOW_ROOT, raising=False)
    with pytest.raises(SandboxUnavailable) as raised:
        _probe_where_no_uid_drop_works(monkeypatch)
    assert isolation_module.ENV_ALLOW_ROOT in str(raised.value) and "/root" in str(raised.value)


def test_a_root_worker_when_explicitly_allowed(monkeypatch):
    monkeypatch.setenv(isolation_module.ENV_ALLOW_ROOT, "1")
    chosen = _probe_where_no_uid_drop_works(monkeypatch)
    assert chosen.drop_privileges is False and not chosen.features["uid_dropped"]
    assert any(isolation_module.ENV_ALLOW_ROOT in note for note in chosen.notes)


def test_unreachable_by_others_names_the_blocking_folder(tmp_path):
    private = tmp_path / "private"
    (private / "inside").mkdir(parents=True)
    os.chmod(tmp_path, 0o755)
    os.chmod(private, 0o700)
    blocked = unreachable_by_others(str(private / "inside"))
    assert blocked is not None and (blocked == str(private) or str(private).startswith(blocked))
    os.chmod(private, 0o755)


def test_a_virtual_environment_in_a_private_folder_is_unreachable(tmp_path, monkeypatch):
    """A venv's python is a link to a reachable interpreter, but the venv's folder may be private (0700)."""
    os.chmod(tmp_path, 0o755)
    private = tmp_path / "tmp.venv"
    (private / "venv" / "bin").mkdir(parents=True)
    os.chmod(private, 0o700)
    link = private / "venv" / "bin" / "python3"
    link.symlink_to(os.path.realpath(sys.executable))
    monkeypatch.setattr(isolation_module.sys, "executable", str(link))
    blocked = isolation_module.interpreter_blocked()
    assert blocked is not None and str(private).startswith(blocked)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root builds the interpreter copy")
def test_the_interpreter_copy_finds_its_numpy():
    """The copy is run with -I under its own prefix; NumPy must sit where that interpreter looks (on Debian:
    dist-packages, not site-packages)."""
    import subprocess

    from nngrade.sandbox.host.interpreter import reachable_copy

    copy = reachable_copy()
    answer = subprocess.run([copy.executable, "-I", "-c", "import numpy, sys; print(numpy.__file__); print(sys.prefix)"],
                            capture_output=True, text=True, timeout=60, env=dict(copy.env))
    assert answer.returncode == 0, answer.stderr
    numpy_file, prefix = answer.stdout.split()
    assert numpy_file.startswith(copy.dirs[0]) and prefix == copy.dirs[0]
