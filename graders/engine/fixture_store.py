"""Fixtures: their generators, the public set on disk, and the hidden set drawn for each grade.

A fixture is a named dict of arrays (inputs and the reference's outputs),
made by a generator that the assignment declares next to the checks that read
it::

    @fixture_generator("sigmoid")
    def sigmoid_fixture(rng):       # rng: seeded by the set's seed and this name only
        ...
        return {"x": x, "y": reference_sigmoid(x)}

Each generator gets its own random generator, seeded by a hash of the set's
seed and the fixture's name, so adding, removing or reordering fixtures never
changes another one.

* The **public** set is drawn from the public seed, written by ``nngrade
  fixtures build`` and committed: the ``public/`` folder of the ``fixtures``
  package (or of ``NNGRADE_FIXTURES_DIR``) with ``manifest.json`` (sha256 of
  every file). Students have it.
* The **hidden** set is never written anywhere. Each grade draws it in the
  grader's process from :func:`hidden_set_seed`: an HMAC of the submission's
  sha256 keyed with the instructor's secret (:func:`hidden_secret`), so
  regrading the same submission gives the same inputs while any other
  submission, including a changed one, gets different ones; inputs leaked by
  one report serve no other grade.
"""
from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import os
import secrets
import stat
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np

from nngrade.engine.fsutil import user_cache_dir

#: Environment variable with the instructor's secret seed of the hidden inputs (wins over ``[hidden] seed``).
HIDDEN_SEED_VARIABLE = "NNGRADE_HIDDEN_SEED"
#: File in nngrade's user cache holding this machine's secret when none is configured.
MACHINE_SECRET_FILE = "hidden-seed"

#: ``O_NOFOLLOW`` where the system has it (not on Windows, which has no uids or modes to check either).
NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


class FixtureError(RuntimeError):
    """A fixture file is missing or does not match the manifest."""


class FixtureUnavailable(FixtureError):
    """A fixture cannot be generated here (e.g. the reference is not installed: a student kit)."""



def fixtures_dir() -> Path:
    """The folder that holds ``manifest.json`` and ``public/``."""
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
    """Arrays of the committed fixture ``visibility/name.npz`` (read-only copies)."""
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

    Files of a set whose folder is absent altogether are not reported.
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


# -- generators ----------------------------------------------------------------
def fixture_generator(name: str):
    """Declare the decorated ``func(rng) -> dict of arrays`` as the generator of fixture ``name``."""
    def tag(func):
        func.__fixture__ = name
        return func

    return tag


def fixture_generators(modules) -> dict[str, Callable]:
    """Fixture name -> generator, from the ``@fixture_generator`` functions defined in ``modules``.

    ``modules`` holds modules or dotted module names.

    Raises
    ------
    ValueError
        When two generators declare the same name.
    """
    found: dict[str, Callable] = {}
    for module in modules:
        module = importlib.import_module(module) if isinstance(module, str) else module
        for func in vars(module).values():
            name = getattr(func, "__fixture__", None)
            if name is None or getattr(func, "__module__", None) != module.__name__:
                continue
            if name in found:
                raise ValueError(f"fixture {name!r} is generated by both {found[name].__module__} and "
                                 f"{module.__name__}")
            found[name] = func
    return found


def fixture_rng(set_seed: str, name: str) -> np.random.Generator:
    """The generator of fixture ``name`` in the set drawn from ``set_seed``: a hash of both, nothing else."""
    digest = hashlib.sha256(f"{set_seed}/{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest, "little"))


def generate_fixture(generator: Callable, set_seed: str, name: str) -> dict[str, np.ndarray]:
    """Run ``generator`` for fixture ``name`` of the set ``set_seed``; read-only arrays.

    Raises
    ------
    FixtureUnavailable
        When the generator cannot import what it needs (the reference, in a student kit).
    """
    try:
        produced = generator(fixture_rng(str(set_seed), name))
    except ImportError as exc:
        raise FixtureUnavailable(f"fixture {name!r} cannot be generated here: {exc}") from None
    arrays = {key: np.array(value) for key, value in produced.items()}
    for array in arrays.values():
        array.setflags(write=False)
    return arrays


# -- the hidden set's seed -------------------------------------------------------
def hidden_secret(config: dict) -> tuple[bytes, str]:
    """The instructor's secret and where it came from.

    In order: the ``NNGRADE_HIDDEN_SEED`` environment variable, ``[hidden] seed``
    of the configuration, else this machine's secret: a random value created on
    first use in nngrade's user cache, readable by its owner only.

    Returns
    -------
    (bytes, str)
        The secret, and ``"environment"``, ``"configuration"``, ``"machine"``, or
        ``"one-off"`` (a random secret for this grade only, when the cache is unusable).
    """
    from_env = os.environ.get(HIDDEN_SEED_VARIABLE, "")
    if from_env:
        return from_env.encode("utf-8", "surrogateescape"), "environment"
    configured = config.get("hidden", {}).get("seed", "")
    if configured not in ("", None):
        return str(configured).encode("utf-8", "surrogateescape"), "configuration"
    try:
        return _machine_secret(user_cache_dir(MACHINE_SECRET_FILE)), "machine"
    except OSError:
        return secrets.token_bytes(32), "one-off"


def _machine_secret(path: Path) -> bytes:
    """Read, or create (mode 0600, never through a symlink), the machine's secret at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NO_FOLLOW, 0o600)
    except FileExistsError:
        fd = os.open(path, os.O_RDONLY | NO_FOLLOW)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            value = handle.read().strip()
        private = not hasattr(os, "geteuid") or (info.st_uid == os.geteuid() and not info.st_mode & 0o077)
        if not private or not stat.S_ISREG(info.st_mode) or len(value) < 32:
            raise PermissionError(f"{path} is not a private file of this user")
        return value
    value = secrets.token_hex(32).encode()
    with os.fdopen(fd, "wb") as handle:
        handle.write(value + b"\n")
    return value


def hidden_set_seed(secret: bytes, submission_sha256: str) -> str:
    """The seed of one grade's hidden set: HMAC-SHA256 of the submission's sha256, keyed with the secret."""
    return hmac.new(secret, submission_sha256.encode(), hashlib.sha256).hexdigest()


class FixtureSets:
    """The fixtures one grade reads: the committed public set, and a hidden set drawn for this grade.

    Parameters
    ----------
    generators : callable
        ``generators() -> {name: generator}`` (called once, when first needed).
    folder : Path
        The fixtures folder (``manifest.json`` and ``public/``).
    hidden_seed : callable or None
        ``hidden_seed() -> str``: the seed of this grade's hidden set (called once, when
        first needed); None when no hidden check may run (the student pre-check).

    Notes
    -----
    A public fixture that has a generator but no committed file (e.g. one declared by
    an instructor's extension module) is drawn from the public seed of the manifest.
    """

    def __init__(self, generators: Callable[[], dict], folder: Path, hidden_seed: Callable[[], str] | None):
        self._generators = generators
        self._known: dict | None = None
        self.folder = folder
        self._hidden_seed = hidden_seed
        self._seed: str | None = None
        self._hidden: dict[str, dict[str, np.ndarray]] = {}

    def generators(self) -> dict:
        if self._known is None:
            self._known = self._generators()
        return self._known

    def get(self, visibility: str, name: str) -> dict[str, np.ndarray]:
        """Arrays of fixture ``name`` of the ``public`` or ``hidden`` set (read-only)."""
        if visibility == "hidden":
            if name not in self._hidden:
                self._hidden[name] = generate_fixture(self._generator(name), self.hidden_seed(), name)
            return self._hidden[name]
        try:
            return load_fixture("public", name, self.folder)
        except FixtureError:
            listed = f"public/{name}.npz" in manifest(self.folder).get("files", {})
            if listed or name not in self.generators():
                raise
        return generate_fixture(self.generators()[name], str(manifest(self.folder)["public_seed"]), name)

    def hidden_seed(self) -> str:
        if self._seed is None:
            if self._hidden_seed is None:
                raise FixtureUnavailable("hidden fixtures are not available in this mode")
            self._seed = self._hidden_seed()
        return self._seed

    def _generator(self, name: str) -> Callable:
        try:
            return self.generators()[name]
        except KeyError:
            raise FixtureError(f"no generator declares fixture {name!r}") from None
