"""Hostile submissions: every attack is bounded so a broken sandbox fails a test, not the machine.

Bounds: call deadlines of a few seconds, RLIMIT_NPROC of 32 for fork bombs,
RLIMIT_AS (2 GiB default) for memory bombs, RLIMIT_CPU for spinning code.
"""
from __future__ import annotations

import time

import pytest

from nngrade.sandbox import (
    Limits,
    StaleReference,
    StudentError,
    WorkerCrashed,
    WorkerTimeout,
)
from nngrade.sandbox.host.workspace import processes_of_uid


def wait_until(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


HOSTILE = """
import os, sys, time
import numpy as np

class Sigmoid:
    def forward(self, x):
        while True:
            pass

def spin():
    while True:
        pass

def fine():
    return "fine"

def huge_array():
    return np.ones(10**11)

def grow_list():
    # Stops by itself at 4 GiB, so a missing RLIMIT_AS fails the test, not the machine.
    chunks = [bytearray(50 * 2**20) for _ in range(80)]
    return "survived"

def count_forks():
    # Linear: children sleep, only the worker forks, until RLIMIT_NPROC refuses.
    count = 0
    for _ in range(64):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        count += 1
    return count

def fork_bomb():
    # Exponential: every process forks again; at most 2**8 processes even without
    # RLIMIT_NPROC. Every process then sleeps, so the call never returns.
    for _ in range(8):
        try:
            os.fork()
        except OSError:
            break
    time.sleep(60)

def start_daemon():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(60)
            with open("/tmp/daemon-was-here", "w") as handle:
                handle.write("alive")
        os._exit(0)
    return os.getpid()
"""


def test_infinite_loop_times_out_and_the_next_call_gets_a_fresh_worker(make_session):
    session = make_session({"nn.py": HOSTILE})
    sigmoid = session.new("Sigmoid")
    started = time.monotonic()
    with session.timeout(1.0), pytest.raises(WorkerTimeout, match="within 1 s"):
        sigmoid.call("forward", 1.0)
    assert time.monotonic() - started < 10
    assert session.func("fine") == "fine"
    assert session.generation == 2
    with pytest.raises(StaleReference):
        sigmoid.call("forward", 1.0)


def test_cpu_time_limit_kills_a_spinning_worker_with_sigxcpu(make_session):
    session = make_session({"nn.py": HOSTILE}, limits=Limits(call_timeout=30.0, cpu_seconds=1))
    started = time.monotonic()
    with pytest.raises(WorkerCrashed, match="SIGXCPU"):
        session.func("spin")
    assert time.monotonic() - started < 20
    assert session.func("fine") == "fine"


@pytest.mark.parametrize("bomb", ["huge_array", "grow_list"])
def test_memory_bombs_end_in_memory_error_or_crash(make_session, bomb):
    limits = Limits(call_timeout=30.0, address_space=1 << 30)
    session = make_session({"nn.py": HOSTILE}, limits=limits)
    with pytest.raises((StudentError, WorkerCrashed)) as info:
        session.func(bomb)
    if isinstance(info.value, StudentError):
        assert info.value.type == "MemoryError"
    assert session.func("fine") == "fine"


def test_rlimit_nproc_bounds_forking(make_session):
    session = make_session({"nn.py": HOSTILE}, limits=Limits(call_timeout=30.0, max_processes=16))
    forks = session.func("count_forks")
    assert 3 <= forks < 16
    assert len(processes_of_uid(session.sandbox_uid)) == forks + 1
    session.restart()
    assert processes_of_uid(session.sandbox_uid) == []


def test_fork_bomb_times_out_and_leaves_no_process_of_the_sandbox_uid(make_session):
    session = make_session({"nn.py": HOSTILE})
    with session.timeout(2.0), pytest.raises(WorkerTimeout):
        session.func("fork_bomb")
    assert processes_of_uid(session.sandbox_uid) == []
    assert session.func("fine") == "fine"


def test_setsid_daemon_does_not_survive_the_worker(make_session):
    session = make_session({"nn.py": HOSTILE})
    uid = session.sandbox_uid
    session.func("start_daemon")
    # The worker plus the detached grandchild (the middle child exits at once).
    assert wait_until(lambda: len(processes_of_uid(uid)) == 2)
    session.restart()
    assert processes_of_uid(uid) == []
    time.sleep(0.3)
    assert processes_of_uid(uid) == []
    assert session.func("fine") == "fine"
    session.close()
    assert processes_of_uid(uid) == []
