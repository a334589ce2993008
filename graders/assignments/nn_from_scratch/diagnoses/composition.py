"""Bugs in how correct pieces are put together: skipped derivatives, the training loop, a cache overwritten.

The checks that find these run the student's unit with the grader's stand-ins
(see ``worker_stand_ins.py``) and record what the measured numbers matched:
``composition`` (``gradients.network_backward``), ``train_loop``
(``xor.train_function``), ``grad_again`` (a loss's backward called twice).
The softmax and cross-entropy detectors compare the returned numbers with
those of the bug, computed here from the inputs.
"""
from __future__ import annotations

import numpy as np

from nngrade.assignments.nn_from_scratch.diagnoses.numbers import (
    as_array,
    first_mismatch,
    matching_signature,
    own_forward_wrong,
    softmax,
)
from nngrade.diagnoses.catalogue import diagnosis

LOSS_GRADIENTS = ("gradients.mse_backward", "gradients.cross_entropy_backward", "gradients.softmax_ce_backward")


def _composition(observations, wanted: str) -> str | None:
    obs = observations.get("composition")
    if obs is None or obs.yours != wanted:
        return None
    return (f"with the grader's layers and loss gradient, your Network.backward gave exactly the dW and db of "
            f"this mistake on all {obs.inputs['elements']} elements of the {obs.inputs['network']} network "
            f"({obs.inputs['loss']})")


@diagnosis("output_activation_derivative_skipped", title="The output layer's activation derivative is skipped",
           checks=("gradients.network_backward",),
           message="Called: Network.backward(g) over the grader's own Linear and Sigmoid layers, with g the true "
                   "gradient of the loss with respect to the network output.\n"
                   "Expected: g passes through the final Sigmoid's backward (g * y * (1 - y)) before the last "
                   "Linear.\n"
                   "Observed: the last Linear received g directly, as if (output - target) were the error of the "
                   "output pre-activation; that holds only for a sigmoid with binary cross-entropy, not here.\n"
                   "Fix: call every layer's backward in reverse order, the output activation's too.")
def output_activation_derivative_skipped(observations):
    return _composition(observations, "output_activation_skipped")


@diagnosis("hidden_activation_derivative_skipped", title="The hidden error misses the activation derivative",
           checks=("gradients.network_backward",),
           message="Called: Network.backward(g) over the grader's own Linear and Sigmoid layers.\n"
                   "Expected: the error of a hidden layer is (delta @ W.T) * y * (1 - y): through the Linear, "
                   "then through the Sigmoid between them.\n"
                   "Observed: delta @ W.T went to the earlier Linear without the Sigmoid's derivative.\n"
                   "Fix: pass the gradient through every layer in reverse order, hidden Sigmoids included.")
def hidden_activation_derivative_skipped(observations):
    return _composition(observations, "hidden_activation_skipped")


@diagnosis("train_loop_wrong", title="train() is not the documented SGD loop",
           checks=("xor.train_function",),
           message="Called: train(network, loss, X, Y, ...) with the grader's own network and loss, so only the "
                   "loop itself decides the trained parameters.\n"
                   "Expected: per epoch one permutation of the samples; per consecutive batch forward, loss, "
                   "the network's backward of the loss's gradient, then a step.\n"
                   "Observed: the trained parameters are exactly those of the wrong loop named in the evidence.\n"
                   "Fix: follow the loop in docs/API.md (\"Network and training\").\n"
                   "Fix (code): per epoch rng.permutation(n); per batch network.backward(loss.backward()), "
                   "network.step(lr).")
def train_loop_wrong(observations):
    obs = observations.get("train_loop")
    if obs is None or not isinstance(obs.yours, str):
        return None
    return f"the trained parameters match a loop in which {obs.yours}"


@diagnosis("loss_backward_modifies_cache", title="A loss's backward overwrites what its forward cached",
           checks=LOSS_GRADIENTS,
           message="Called: the loss's forward once, then backward() twice.\n"
                   "Expected: the same gradient both times: backward only reads the cache.\n"
                   "Observed: the second gradient differs: the first backward wrote into the cached "
                   "probabilities (e.g. probs[range(n), labels] -= 1 on self.probs itself).\n"
                   "Fix: copy before modifying: grad = self.probs.copy(), then change grad.")
def loss_backward_modifies_cache(observations):
    obs = observations.get("grad_again")
    if obs is None:
        return None
    again, first = as_array(obs.yours), as_array(obs.reference)
    if again is None or first is None or again.shape != first.shape:
        return None
    differs = ~np.isclose(again, first, rtol=1e-9, atol=0.0, equal_nan=True)
    if not differs.any():
        return None
    return f"the second backward() differs from the first on {int(differs.sum())}/{differs.size} elements"


@diagnosis("softmax_elementwise_derivative_on_output", title="Sigmoid-style derivative of an already-softmaxed output",
           checks=("jacobians.softmax_backward", "jacobians.softmax_jacobian"),
           message="Called: Softmax().backward(g) after forward(z), or Softmax().jacobian(z).\n"
                   "Expected: s * (g - sum(g * s)) per row, s = softmax(z) (the full Jacobian).\n"
                   "Observed: the elementwise f(s) * (1 - f(s)) with f = softmax applied to the cached output s "
                   "once more: a second softmax and the diagonal only.\n"
                   "Fix: use the cached s directly and the full Jacobian (J^T g per row, off-diagonal terms included).\n"
                   "Fix (code): s * (g - np.sum(g * s, axis=1, keepdims=True)).")
def softmax_elementwise_derivative_on_output(observations):
    for prefix, key in (("backward", "backward"), ("jacobian", "jacobian")):
        if prefix == "backward" and own_forward_wrong(observations):
            continue
        found = first_mismatch(observations, prefix=prefix)
        if found is None:
            continue
        obs = found[1]
        s = np.asarray(obs.inputs["s"], dtype=np.float64)
        again = softmax(s)
        elementwise = again * (1.0 - again)
        if key == "backward":
            g = np.asarray(obs.inputs["g"], dtype=np.float64)
            return matching_signature(obs.yours, [("g * softmax(s) * (1 - softmax(s))", g * elementwise)])
        return matching_signature(obs.yours, [("diag(softmax(s) * (1 - softmax(s)))",
                                               elementwise[:, :, None] * np.eye(s.shape[1]))])
    return None


def _binary_cross_entropy(p: np.ndarray, y: np.ndarray, n: int) -> list[tuple[str, object]]:
    """Binary cross-entropy values and gradients of ``p`` against ``y``, with the usual normalisations."""
    # NOTE: clipped like the usual implementations, so no log(0) or division by zero here.
    q = np.clip(p, 1e-15, 1 - 1e-15)
    terms = -(y * np.log(q) + (1 - y) * np.log(1 - q))
    grad = -(y / q) + (1 - y) / (1 - q)
    return [("-sum(y log p + (1 - y) log(1 - p)) / n", float(terms.sum() / n)),
            ("mean(-(y log p + (1 - y) log(1 - p)))", float(terms.mean())),
            ("(-(y / p) + (1 - y) / (1 - p)) / n", grad / n),
            ("-(y / p) + (1 - y) / (1 - p)", grad),
            ("(-(y / p) + (1 - y) / (1 - p)) / (n * k)", grad / terms.size)]


@diagnosis("binary_cross_entropy_on_softmax", title="Binary cross-entropy applied to softmax outputs",
           checks=("forward.cross_entropy", "gradients.cross_entropy_backward"),
           message="Called: CrossEntropyLoss().forward(probs, target) (and backward()) with probs rows that sum "
                   "to 1 and one-hot targets.\n"
                   "Expected: the categorical cross-entropy -sum(target * log(probs)) / n: only the true class "
                   "counts.\n"
                   "Observed: the binary cross-entropy, which adds -(1 - y) log(1 - p) for every other class, as "
                   "if each class were an independent sigmoid output.\n"
                   "Fix: drop the (1 - y) terms: -np.sum(target * np.log(np.clip(probs, 1e-12, 1))) / n, and "
                   "-target / clip(probs) / n as the gradient.")
def binary_cross_entropy_on_softmax(observations):
    for prefix in ("forward", "grad"):
        found = first_mismatch(observations, prefix=prefix)
        if found is None or "probs" not in found[1].inputs:
            continue
        p = np.asarray(found[1].inputs["probs"], dtype=np.float64)
        y = np.asarray(found[1].inputs["target"], dtype=np.float64)
        candidates = [c for c in _binary_cross_entropy(p, y, p.shape[0]) if np.ndim(c[1]) == np.ndim(found[1].yours)]
        hit = matching_signature(found[1].yours, candidates)
        if hit:
            return hit
    return None
