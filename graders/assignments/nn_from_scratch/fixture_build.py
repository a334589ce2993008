"""Generate ``fixtures/`` from the reference: inputs and expected outputs.

Two sets are drawn from two seeds: ``public`` (shipped to students for the
pre-check) and ``hidden`` (instructor only). Each set is a folder of ``.npz``
files, one per check subject; ``manifest.json`` records the fixture version,
the seeds and the sha256 of every file. Files are written byte-for-byte
deterministically (fixed zip timestamps), so ``nngrade fixtures verify`` can
compare hashes and the test suite can rebuild and compare.

This module imports the reference and therefore runs only in the grader's
trusted process, never in a worker.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

FIXTURE_VERSION = "1"
SEEDS = {"public": 20261, "hidden": 90417}


def _net(reference, sizes, rng, output_sigmoid=False):
    """A sigmoid MLP of the reference with the given layer sizes."""
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(reference.Linear(fan_in, fan_out, rng=rng))
        if i < len(sizes) - 2 or output_sigmoid:
            layers.append(reference.Sigmoid())
    return reference.Network(layers)


def _params(net):
    return {f"p{i}": p.copy() for i, (p, _) in enumerate(net.parameters())}


def _grads(net):
    return {f"g{i}": g.copy() for i, (_, g) in enumerate(net.parameters())}


def _one_hot(rng, n, k):
    return np.eye(k)[rng.integers(0, k, size=n)]


def make_set(rng: np.random.Generator) -> dict[str, dict[str, np.ndarray]]:
    """All fixtures of one set, computed with the reference.

    Returns
    -------
    dict
        Fixture name -> arrays, e.g. ``{"sigmoid": {"x": ..., "y": ..., ...}}``.
    """
    import nngrade.reference as ref

    out: dict[str, dict[str, np.ndarray]] = {}

    x, g = rng.normal(0, 3, (5, 4)), rng.normal(size=(5, 4))
    sig = ref.Sigmoid()
    out["sigmoid"] = {"x": x, "y": sig.forward(x), "g": g, "grad_x": sig.backward(g)}
    xe = np.concatenate([[-1000.0, -745.5, -40.0, 0.0], [40.0, 709.9, 1000.0, 0.0]]).reshape(2, 4)
    xe[:, 3] = rng.normal(size=2)
    out["sigmoid_extreme"] = {"x": xe, "y": sig.forward(xe)}

    sm = ref.Softmax()
    for name, z in {
        "softmax": rng.normal(0, 2, (5, 3)),
        "softmax_square": rng.normal(0, 2, (4, 4)),
        "softmax_extreme": np.array([[1000.0, 999.0, 998.0, 0.0],
                                     [-1000.0, -1001.0, -999.5, -1000.0],
                                     [1000.0, -1000.0, 0.0, 1.0]]) + rng.normal(0, 0.1, (3, 4)),
    }.items():
        g = rng.normal(size=z.shape)
        s = sm.forward(z)
        out[name] = {"z": z, "s": s, "g": g, "grad_z": sm.backward(g), "jacobian": sm.jacobian(z)}

    for name, (n, fan_in, fan_out) in {"linear": (5, 3, 4), "linear_square": (4, 4, 4)}.items():
        lin = ref.Linear(fan_in, fan_out, rng=rng)
        lin.b = rng.normal(size=fan_out)
        x, g = rng.normal(size=(n, fan_in)), rng.normal(size=(n, fan_out))
        y = lin.forward(x)
        grad_x = lin.backward(g)
        out[name] = {"x": x, "W": lin.W, "b": lin.b, "y": y, "g": g,
                     "grad_x": grad_x, "dW": lin.dW, "db": lin.db}

    pred, target = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    mse = ref.MSELoss()
    out["mse"] = {"pred": pred, "target": target,
                  "loss": np.float64(mse.forward(pred, target)), "grad": mse.backward()}

    probs = rng.dirichlet(np.ones(4), size=6)
    target = _one_hot(rng, 6, 4)
    probs[0, np.argmin(target[0] + probs[0])] = 0.0  # an exact zero off the true class
    probs[0] /= probs[0].sum()
    ce = ref.CrossEntropyLoss()
    out["cross_entropy"] = {"probs": probs, "target": target,
                            "loss": np.float64(ce.forward(probs, target)), "grad": ce.backward()}
    zero_true = probs.copy()
    zero_true[1] = np.roll(target[1], 1)  # all mass on a wrong class: p = 0 on the true one
    out["cross_entropy_zero"] = {"probs": zero_true, "target": target,
                                 "loss": np.float64(ce.forward(zero_true, target))}

    logits, target = rng.normal(0, 2, (6, 3)), _one_hot(rng, 6, 3)
    sce = ref.SoftmaxCrossEntropyLoss()
    out["softmax_ce"] = {"logits": logits, "target": target,
                         "loss": np.float64(sce.forward(logits, target)), "grad": sce.backward()}

    # Whole networks: parameters, one batch, and the parameter gradients.
    for name, sizes, k, output_sigmoid, loss in [
        ("network_ce", (3, 5, 3), 3, False, ref.SoftmaxCrossEntropyLoss()),
        ("network_mse", (3, 4, 2), 2, True, ref.MSELoss()),
    ]:
        net = _net(ref, sizes, rng, output_sigmoid)
        x = rng.normal(size=(6, sizes[0]))
        y = _one_hot(rng, 6, k)
        value = loss.forward(net.forward(x), y)
        grad_in = net.backward(loss.backward())
        out[name] = {"x": x, "y": y, "loss": np.float64(value), "grad_in": grad_in,
                     **_params(net), **_grads(net)}

    # train(): a tiny problem, the reference's loss history and final parameters.
    net = _net(ref, (3, 4, 2), rng)
    x, y = rng.normal(size=(10, 3)), _one_hot(rng, 10, 2)
    start = _params(net)
    rng_seed = int(rng.integers(0, 2**31))
    history = ref.train(net, ref.SoftmaxCrossEntropyLoss(), x, y, epochs=3, lr=0.5,
                        batch_size=4, rng=np.random.default_rng(rng_seed))
    final = {f"final{i}": p.copy() for i, (p, _) in enumerate(net.parameters())}
    out["train"] = {"x": x, "y": y, "history": np.asarray(history), "rng_seed": np.int64(rng_seed),
                    "epochs": np.int64(3), "lr": np.float64(0.5), "batch_size": np.int64(4),
                    **start, **final}
    return out


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
    """Write both fixture sets and the manifest into ``out_dir``; returns the manifest.

    Existing data-dependent entries (``mnist_reference.json``) are kept.
    """
    from nngrade import __version__

    out_dir = Path(out_dir)
    files = {}
    for visibility, seed in SEEDS.items():
        folder = out_dir / visibility
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.npz"):
            stale.unlink()
        for name, arrays in make_set(np.random.default_rng(seed)).items():
            data = npz_bytes(arrays)
            (folder / f"{name}.npz").write_bytes(data)
            files[f"{visibility}/{name}.npz"] = hashlib.sha256(data).hexdigest()
    mnist = out_dir / "mnist_reference.json"
    if mnist.exists():
        files[mnist.name] = hashlib.sha256(mnist.read_bytes()).hexdigest()
    manifest = {"version": FIXTURE_VERSION, "kit_version": __version__, "seeds": SEEDS,
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
