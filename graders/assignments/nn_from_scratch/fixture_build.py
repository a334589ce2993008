"""Write the public fixtures from the generators the check modules declare, and the manifest.

Every fixture has its own generator, declared with ``@fixture_generator(name)``
(:func:`nngrade.engine.fixture_store.fixture_generator`) in the check module that reads it
and seeded by the set's seed and its name only. ``nngrade fixtures build``
writes the **public** set (drawn from :data:`PUBLIC_SEED`) into ``public/``
and ``manifest.json`` records the fixture version, the public seed and the
sha256 of every file. Files are written byte-for-byte deterministically (fixed
zip timestamps), so ``nngrade fixtures verify`` can compare hashes and the test
suite can rebuild and compare.

The **hidden** set is not built here and never written: each grade draws it in
the grader's process from the instructor's secret
(:class:`nngrade.engine.fixture_store.FixtureSets`).

The generators import the reference and therefore run only in the grader's
trusted process, never in a worker; the helpers below are theirs.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

FIXTURE_VERSION = "2"
PUBLIC_SEED = 20261


def reference():
    """The reference solution package (ImportError where it is not installed, e.g. a student kit)."""
    import nngrade.reference as ref

    return ref


def reference_net(sizes, rng, output_sigmoid=False):
    """A sigmoid MLP of the reference with the given layer sizes, initialised from ``rng``."""
    ref = reference()
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(ref.Linear(fan_in, fan_out, rng=rng))
        if i < len(sizes) - 2 or output_sigmoid:
            layers.append(ref.Sigmoid())
    return ref.Network(layers)


def parameters_of(net, prefix: str = "p") -> dict[str, np.ndarray]:
    """``{"p0": W0, "p1": b0, ...}``: copies of the network's parameters."""
    return {f"{prefix}{i}": p.copy() for i, (p, _) in enumerate(net.parameters())}


def gradients_of(net) -> dict[str, np.ndarray]:
    """``{"g0": dW0, "g1": db0, ...}``: copies of the network's parameter gradients."""
    return {f"g{i}": g.copy() for i, (_, g) in enumerate(net.parameters())}


def one_hot(rng, n, k):
    """``n`` one-hot rows of ``k`` classes drawn uniformly."""
    return np.eye(k)[rng.integers(0, k, size=n)]


def generators(assignment=None) -> dict:
    """Fixture name -> generator, from the assignment's check modules (and its extensions)."""
    import importlib

    from nngrade.engine.assignment import assignment_of
    from nngrade.engine.fixture_store import fixture_generators

    assignment = assignment or assignment_of(None)
    return fixture_generators([importlib.import_module(name) for name in assignment.check_modules])


def make_set(set_seed, assignment=None) -> dict[str, dict[str, np.ndarray]]:
    """All fixtures of one set, each drawn from ``set_seed`` and its own name.

    Returns
    -------
    dict
        Fixture name -> arrays, e.g. ``{"sigmoid": {"x": ..., "y": ..., ...}}``.
    """
    from nngrade.engine.fixture_store import generate_fixture

    return {name: generate_fixture(generator, str(set_seed), name)
            for name, generator in sorted(generators(assignment).items())}


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """Serialise arrays as an ``.npz`` with fixed timestamps (identical bytes every time)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for key in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(arrays[key], order="C"), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def build_fixtures(out_dir: Path) -> dict:
    """Write the public fixture set and the manifest into ``out_dir``; returns the manifest.

    Existing data-dependent entries (``mnist_reference.json``) are kept. A ``hidden/``
    folder left by an earlier kit version is deleted: hidden fixtures are drawn per grade.
    """
    from nngrade import __version__

    out_dir = Path(out_dir)
    files = {}
    folder = out_dir / "public"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in [*folder.glob("*.npz"), *(out_dir / "hidden").glob("*.npz")]:
        stale.unlink()
    if (out_dir / "hidden").is_dir() and not any((out_dir / "hidden").iterdir()):
        (out_dir / "hidden").rmdir()
    for name, arrays in make_set(PUBLIC_SEED).items():
        data = npz_bytes(arrays)
        (folder / f"{name}.npz").write_bytes(data)
        files[f"public/{name}.npz"] = hashlib.sha256(data).hexdigest()
    mnist = out_dir / "mnist_reference.json"
    if mnist.exists():
        files[mnist.name] = hashlib.sha256(mnist.read_bytes()).hexdigest()
    manifest = {"version": FIXTURE_VERSION, "kit_version": __version__, "public_seed": PUBLIC_SEED,
                "files": dict(sorted(files.items()))}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def record_in_manifest(out_dir: Path, name: str) -> dict:
    """Set the sha256 of ``out_dir/name`` in the manifest (after a data-dependent file changed)."""
    out_dir = Path(out_dir)
    path = out_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["files"][name] = hashlib.sha256((out_dir / name).read_bytes()).hexdigest()
    manifest["files"] = dict(sorted(manifest["files"].items()))
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
