"""The replay cache: a hit gives exactly the computed numbers; bad files are ignored and rewritten."""
from __future__ import annotations

import os
import time
from types import SimpleNamespace

import numpy as np
import pytest

from nngrade.assignments.nn_from_scratch.maths.evaluate import (
    XOR_X,  # noqa: E402
    init_params,
)
from nngrade.assignments.nn_from_scratch.training import replays
from nngrade.assignments.nn_from_scratch.training.integrity import TrainingRun

STEPS = [0, 7, 8, 59]


def _run(seed=0, batches=None, loss="SoftmaxCrossEntropyLoss"):
    sizes = (2, 4, 2)
    y = np.eye(2)[[0, 1, 1, 0]]
    return TrainingRun(sizes, False, loss, XOR_X, y, batches if batches is not None else [np.arange(4)] * 60,
                       1.0, init_params(sizes, np.random.default_rng(seed)))


def _mnist_like_run():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, size=(96, 20), dtype=np.uint8)
    y = np.eye(3)[rng.integers(3, size=96)]
    batches = [rng.permutation(96)[i:i + 32] for i in range(0, 96, 32)] * 3
    sizes = (20, 6, 3)
    return TrainingRun(sizes, False, "SoftmaxCrossEntropyLoss", x, y, batches, 0.5,
                       init_params(sizes, rng), scale=1 / 255)


def _assert_identical(got, expected):
    (final, recorded), (final_expected, recorded_expected) = got, expected
    for mine, theirs in zip([*final, *[p for s in sorted(recorded) for p in recorded[s]]],
                            [*final_expected, *[p for s in sorted(recorded_expected) for p in recorded_expected[s]]]):
        assert mine.dtype == theirs.dtype == np.float64 and mine.shape == theirs.shape
        assert np.array_equal(mine, theirs)  # bit for bit, not within a tolerance
    assert sorted(recorded) == sorted(recorded_expected)


@pytest.fixture(autouse=True)
def empty_memory():
    replays._memory.clear()
    yield
    replays._memory.clear()


def _only_file(cache):
    files = list(cache.directory.glob("*.npz"))
    assert len(files) == 1
    return files[0]


@pytest.mark.parametrize("make", [_run, _mnist_like_run])
def test_a_disk_hit_returns_exactly_what_the_computation_gives(tmp_path, make):
    run, cache = make(), replays.DiskCache(tmp_path / "replays")
    expected = replays.compute(run, STEPS if make is _run else [0, 4, 8])
    steps = sorted(expected[1])
    _assert_identical(replays.replay(run, steps, cache), expected)
    assert oct(cache.directory.stat().st_mode & 0o777) == oct(0o700)
    replays._memory.clear()  # a new process: only the file is left
    loaded = cache.load(os.path.basename(_only_file(cache)).removesuffix(".npz"), run.shapes(), steps)
    assert loaded is not None
    _assert_identical(loaded, expected)
    _assert_identical(replays.replay(run, steps, cache), expected)


def test_a_background_replay_equals_the_direct_computation(tmp_path):
    run = _run(seed=3)
    pending = replays.start(run, STEPS, replays.DiskCache(tmp_path / "replays"))
    _assert_identical(pending.result(), replays.compute(run, STEPS))
    assert replays.start(run, STEPS).result() is pending.result()  # now from memory


@pytest.mark.parametrize("damage", [
    lambda path: path.write_bytes(b"not a zip file"),
    lambda path: path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2]),  # truncated
    lambda path: path.write_bytes(_flip_last_data_byte(path.read_bytes())),  # the zip CRC no longer matches
])
def test_a_corrupted_file_is_ignored_and_rewritten(tmp_path, damage):
    run, cache = _run(seed=1), replays.DiskCache(tmp_path / "replays")
    expected = replays.replay(run, STEPS, cache)
    path = _only_file(cache)
    damage(path)
    key = path.name.removesuffix(".npz")
    assert cache.load(key, run.shapes(), STEPS) is None
    replays._memory.clear()
    _assert_identical(replays.replay(run, STEPS, cache), expected)
    _assert_identical(cache.load(key, run.shapes(), STEPS), expected)  # rewritten, readable again


def _flip_last_data_byte(data: bytes) -> bytes:
    position = data.rfind(b"PK\x01\x02") - 1  # the last byte before the central directory
    return data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1:]


def test_a_file_for_other_steps_or_shapes_is_a_miss(tmp_path):
    run, cache = _run(seed=2), replays.DiskCache(tmp_path / "replays")
    replays.replay(run, STEPS, cache)
    key = _only_file(cache).name.removesuffix(".npz")
    assert cache.load(key, run.shapes(), [0, 59]) is None
    assert cache.load(key, [(2, 5), (5,), (5, 2), (2,)], STEPS) is None
    assert cache.load("0" * 64, run.shapes(), STEPS) is None


def test_a_folder_others_can_write_is_not_used(tmp_path):
    run, cache = _run(seed=4), replays.DiskCache(tmp_path / "replays")
    replays.replay(run, STEPS, cache)
    key = _only_file(cache).name.removesuffix(".npz")
    cache.directory.chmod(0o777)
    assert cache.load(key, run.shapes(), STEPS) is None
    cache.directory.chmod(0o700)
    assert cache.load(key, run.shapes(), STEPS) is not None


def test_the_disk_cache_is_used_only_where_the_worker_cannot_write_it(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    for features, usable in [({"readonly_fs": True}, True), ({"uid_dropped": True}, True),
                             ({"rlimits": True}, False), ({}, False)]:
        cache = replays.disk_cache_for(SimpleNamespace(features=features))
        assert (cache is not None) == usable
        if cache is not None:
            assert cache.directory == tmp_path / "nngrade" / "replays"


def test_fingerprints_tell_batch_splits_and_data_apart():
    a = _run(batches=[np.array([0, 1]), np.array([2, 3])] * 30)
    b = _run(batches=[np.array([0]), np.array([1, 2, 3])] * 30)
    c = _run(batches=[np.array([0, 1]), np.array([2, 3], dtype=np.int32)] * 30)  # mixed index types
    prints = {run.fingerprint(STEPS) for run in (a, b, c, _run(seed=1), _run(loss="MSELoss"))}
    assert len(prints) == 5
    assert a.fingerprint(STEPS) != a.fingerprint([0, 59])
    assert a.fingerprint(STEPS) == _run(batches=[np.array([0, 1]), np.array([2, 3])] * 30).fingerprint(STEPS)


def test_a_forked_child_obtains_replays_too():
    replays.replay(_run(seed=6), STEPS)  # the parent's background thread exists now
    pid = os.fork()
    if pid == 0:  # the child has no background thread: it must start its own
        try:
            ok = all(np.array_equal(a, b) for a, b in zip(replays.replay(_run(seed=7), STEPS)[0],
                                                          replays.compute(_run(seed=7), STEPS)[0]))
        finally:
            os._exit(0 if ok else 1)
    for _ in range(600):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the forked child hung waiting for its replay")
