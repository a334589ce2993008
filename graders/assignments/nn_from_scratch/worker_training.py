"""Worker operation of this assignment: mini-batch training inside the sandbox, in one round trip.

Copied beside the sandbox's worker as ``plugin_worker_training.py`` and loaded by
it before the submission is imported; imports only NumPy. See
:func:`nngrade.assignments.nn_from_scratch.training.worker_calls.train_steps` for
the grader's side.
"""
import numpy as np

EXACT_FLOATS = (float, np.float64)


def train_steps(worker, request, arrays):
    """For each batch: ``net.forward``, ``loss.forward``, ``net.backward(loss.backward())``, ``net.step(lr)``.

    Copies parameters and gradients at the requested snapshot steps (after backward,
    before step, and after step); returns the per-step losses as float64.
    """
    from_part = lambda key: worker.decode_args(request.get(key), arrays)  # noqa: E731
    net, loss, batches, lr = (from_part(key) for key in ("net", "loss", "batches", "lr"))
    # Student code sees only x[indices] and y[indices]: with index arrays those are copies,
    # so a stored array needs no copy of its own.
    indexed = all(isinstance(i, np.ndarray) and i.ndim == 1 and i.dtype.kind in "iu" for i in batches)
    x, y = (worker.decode_args(request.get(key), arrays, copy_stored=not indexed) for key in ("x", "y"))
    snapshot_steps = set(from_part("snapshots") or [])
    losses, snapshots = [], []
    for step, indices in enumerate(batches):
        out = net.forward(x[indices])
        value = loss.forward(out, y[indices])
        net.backward(loss.backward())
        snapshot = step in snapshot_steps
        if snapshot:
            where = f"train_steps step {step}"
            pairs = [(copy_array(p, where), copy_array(g, where)) for p, g in net.parameters()]
        net.step(lr)
        losses.append(loss_to_float(value, step))
        if snapshot:
            updated = [copy_array(p, where) for p, _ in net.parameters()]
            snapshots.append({
                "step": step, "params": [p for p, _ in pairs],
                "grads": [g for _, g in pairs], "updated": updated,
            })
    return {"losses": np.asarray(losses, dtype=np.float64), "snapshots": snapshots}, "train_steps"


def copy_array(value, where):
    """Copy a parameter or gradient, refusing anything that is not numeric."""
    array = np.array(value, copy=True)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: parameters() yielded a {type(value).__name__}, expected arrays")
    return array


def loss_to_float(value, step):
    """Convert the loss value of training step `step` to float, explaining what was returned if impossible."""
    if type(value) in EXACT_FLOATS:  # the usual case, and the same number the checked path gives
        return float(value)
    try:
        return float(np.asarray(value, dtype=np.float64).reshape(()))
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"train_steps step {step}: loss.forward returned {type(value).__name__}, expected a scalar ({exc})"
        ) from None


OPS = {"train_steps": train_steps}
