"""Read fixtures by name and verify them against the manifest.

The fixtures folder is the ``fixtures`` package of the kit, or the folder named
by ``NNGRADE_FIXTURES_DIR`` (a student bundle ships only ``public/``).
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np


class FixtureError(RuntimeError):
    """A fixture file is missing or does not match the manifest."""


def fixtures_dir() -> Path:
    """The folder that holds ``manifest.json``, ``public/`` and ``hidden/``."""
    override = os.environ.get("NNGRADE_FIXTURES_DIR")
    if override:
        return Path(override)
    return Path(str(resources.files("nngrade.fixtures")))


@lru_cache(maxsize=4)
def manifest(folder: Path | None = None) -> dict:
    """The parsed ``manifest.json``."""
    path = (folder or fixtures_dir()) / "manifest.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise FixtureError(f"no fixture manifest at {path}: run `nngrade fixtures build`") from None


def manifest_sha256(folder: Path | None = None) -> str:
    """sha256 of the manifest file: identifies the exact fixtures a report used."""
    path = (folder or fixtures_dir()) / "manifest.json"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


@lru_cache(maxsize=128)
def load_fixture(visibility: str, name: str, folder: Path | None = None) -> dict[str, np.ndarray]:
    """Arrays of fixture ``name`` from the ``public`` or ``hidden`` set (read-only copies)."""
    path = (folder or fixtures_dir()) / visibility / f"{name}.npz"
    if not path.exists():
        raise FixtureError(f"fixture {visibility}/{name}.npz not found in {path.parent}")
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    for array in arrays.values():
        array.setflags(write=False)
    return arrays


def verify_fixtures(folder: Path | None = None) -> list[str]:
    """Problems found comparing the files with the manifest's sha256 (empty = all good).

    Files of a set that is absent altogether (``hidden/`` in a student bundle)
    are not reported.
    """
    folder = folder or fixtures_dir()
    problems = []
    listed = manifest(folder)["files"]
    for relative, digest in listed.items():
        path = folder / relative
        if not path.exists():
            if path.parent.exists():
                problems.append(f"{relative}: missing")
            continue
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != digest:
            problems.append(f"{relative}: sha256 {actual[:12]}... differs from the manifest's {digest[:12]}...")
    for path in sorted(folder.glob("*/*.npz")):
        relative = path.relative_to(folder).as_posix()
        if relative not in listed:
            problems.append(f"{relative}: not in the manifest")
    return problems
