"""Fixtures: a rebuild equals what is committed, and the manifest catches tampering."""
import json
import shutil

import numpy as np
import pytest

from nngrade.assignments.nn_from_scratch.fixture_build import build_fixtures
from nngrade.engine.fixture_store import (
    fixtures_dir,
    load_fixture,
    manifest,
    verify_fixtures,
)


def test_committed_fixtures_match_their_manifest():
    assert verify_fixtures() == []


def test_rebuild_equals_committed(tmp_path):
    rebuilt = build_fixtures(tmp_path)
    committed = manifest(fixtures_dir())
    assert sorted(rebuilt["files"]) == sorted(f for f in committed["files"] if f.endswith(".npz"))
    for relative in rebuilt["files"]:
        with np.load(tmp_path / relative) as new, np.load(fixtures_dir() / relative) as old:
            assert sorted(new.files) == sorted(old.files), relative
            for key in new.files:
                # Inputs come from a seeded Generator; outputs may differ in the last bits across BLAS builds.
                np.testing.assert_allclose(new[key], old[key], rtol=1e-12, atol=1e-15, err_msg=f"{relative}:{key}")


def test_rebuild_is_byte_identical(tmp_path):
    first = build_fixtures(tmp_path / "a")
    second = build_fixtures(tmp_path / "b")
    assert first["files"] == second["files"]


def test_verify_reports_tampered_missing_and_unlisted_files(tmp_path):
    folder = tmp_path / "fx"
    shutil.copytree(fixtures_dir(), folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    (folder / "public" / "sigmoid.npz").write_bytes(b"tampered")
    (folder / "hidden" / "mse.npz").unlink()
    shutil.copy(folder / "public" / "mse.npz", folder / "public" / "extra.npz")
    manifest.cache_clear()
    problems = verify_fixtures(folder)
    assert any(p.startswith("public/sigmoid.npz: sha256") for p in problems), problems
    assert "hidden/mse.npz: missing" in problems
    assert "public/extra.npz: not in the manifest" in problems


def test_student_bundle_without_hidden_set_verifies(tmp_path):
    folder = tmp_path / "fx"
    shutil.copytree(fixtures_dir(), folder, ignore=shutil.ignore_patterns("__pycache__", "*.py", "hidden"))
    manifest.cache_clear()
    assert verify_fixtures(folder) == []


def test_fixtures_are_read_only_and_public_differs_from_hidden():
    public, hidden = load_fixture("public", "softmax"), load_fixture("hidden", "softmax")
    with pytest.raises(ValueError):
        public["z"][0, 0] = 1.0
    assert not np.allclose(public["z"], hidden["z"])


def test_manifest_records_version_and_seeds():
    data = json.loads((fixtures_dir() / "manifest.json").read_text())
    assert data["version"] and set(data["seeds"]) == {"public", "hidden"}
    assert data["seeds"]["public"] != data["seeds"]["hidden"]
