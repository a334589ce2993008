"""Forward values of every layer and loss, against fixtures from the reference."""
from __future__ import annotations

import numpy as np

from nngrade.assignments.nn_from_scratch.common import BOTH
from nngrade.assignments.nn_from_scratch.fixture_build import one_hot, reference
from nngrade.assignments.nn_from_scratch.maths.evaluate import logistic
from nngrade.checks.compare import CheckFailed
from nngrade.checks.registry import check
from nngrade.engine.fixture_store import fixture_generator

from . import in_place, soft_targets


def _layer_forward(ctx, cls: str, fixture: str, arg: str, out: str, quantity: str, fix: str = "", probe=None):
    f = ctx.fixture(fixture)
    layer = ctx.new(cls)
    yours = layer.call("forward", f[arg])
    if probe is not None:
        probe(ctx)
    ctx.compare(yours, f[out], key="forward", call=f"{cls}().forward({arg}) with {arg} of shape {f[arg].shape}",
                quantity=quantity, fix=fix, inputs={arg: f[arg]})


#: Inputs at which the diagnosis detectors read the student's sigmoid.
SIGMOID_PROBE = np.array([[0.0, 1.0, -1.0, 2.0]])


def probe_sigmoid(ctx) -> None:
    """Observe ``Sigmoid().forward`` at 0, 1, -1 and 2 (key ``"probe"``) for the detectors."""
    def measure():
        yours = ctx.array(ctx.new("Sigmoid").call("forward", SIGMOID_PROBE), call="Sigmoid().forward",
                          shape=SIGMOID_PROBE.shape)
        return yours, logistic(SIGMOID_PROBE), {"x": SIGMOID_PROBE}

    ctx.probe("probe", measure)


@check("forward.sigmoid", name="Sigmoid forward values", group="forward",
       needs_api=("Sigmoid.forward",), variants=BOTH)
def sigmoid_forward(ctx):
    _layer_forward(ctx, "Sigmoid", "sigmoid", "x", "y", "sigmoid outputs",
                   fix=("apply the logistic function 1 / (1 + exp(-x)) to every element.",
                        "return 1 / (1 + np.exp(-x))"), probe=probe_sigmoid)


@check("forward.sigmoid_extreme", name="Sigmoid at extreme inputs (+/-1000)", group="forward",
       needs_api=("Sigmoid.forward",), variants=BOTH)
def sigmoid_extreme(ctx):
    _layer_forward(ctx, "Sigmoid", "sigmoid_extreme", "x", "y", "sigmoid outputs for |x| up to 1000",
                   fix=("np.exp(-x) overflows for x < -709: exponentiate only non-positive numbers and pick one "
                        "of the two equal forms of the sigmoid by the sign of x.",
                        "e = np.exp(-np.abs(x)); use 1/(1+e) where x >= 0 and e/(1+e) where x < 0."),
                   probe=probe_sigmoid)


@check("forward.softmax", name="Softmax forward values", group="forward",
       needs_api=("Softmax.forward",), variants=BOTH)
def softmax_forward(ctx):
    _layer_forward(ctx, "Softmax", "softmax", "z", "s", "softmax probabilities",
                   fix=("exponentiate and divide each ROW by its own sum.", "e / np.sum(e, axis=1, keepdims=True)"))


@check("forward.softmax_extreme", name="Softmax of logits of magnitude 1000", group="forward",
       needs_api=("Softmax.forward",), variants=BOTH)
def softmax_extreme(ctx):
    _layer_forward(ctx, "Softmax", "softmax_extreme", "z", "s", "softmax probabilities for |z| ~ 1000",
                   fix=("subtract each row's maximum before np.exp; softmax is unchanged by this shift and exp "
                        "can no longer overflow.", "z - z.max(axis=1, keepdims=True)"))


@check("forward.softmax_square", name="Softmax of a square batch (n == k)", group="forward",
       needs_api=("Softmax.forward",), variants=BOTH)
def softmax_square(ctx):
    _layer_forward(ctx, "Softmax", "softmax_square", "z", "s", "softmax probabilities of a 4x4 batch",
                   fix="reduce over axis=1 with keepdims=True; an (n,) max or sum broadcasts along "
                       "the wrong axis, which goes unnoticed only when n == k.")


@check("forward.linear", name="Linear forward values", group="forward",
       needs_api=("Linear.forward",), variants=BOTH)
def linear_forward(ctx):
    f = ctx.fixture("linear")
    fan_in, fan_out = f["W"].shape
    layer = ctx.new("Linear", fan_in, fan_out)
    layer.set("W", f["W"])
    layer.set("b", f["b"])
    yours = layer.call("forward", f["x"])
    ctx.compare(yours, f["y"], key="forward", call=f"Linear({fan_in}, {fan_out}).forward(x) with W, b set",
                quantity="outputs x @ W + b", inputs={"x": f["x"], "W": f["W"], "b": f["b"]},
                fix=("multiply x by W (shape (in_features, out_features)) and add the bias.",
                     "return x @ self.W + self.b"))


def _loss_forward(ctx, cls: str, fixture: str, first: str, quantity: str, fix: str):
    f = ctx.fixture(fixture)
    loss = ctx.new(cls)
    yours = loss.call("forward", f[first], f["target"])
    ctx.compare(yours, f["loss"], key="forward", call=f"{cls}().forward({first}, target)",
                quantity=quantity, fix=fix, inputs={first: f[first], "target": f["target"]})


@check("forward.mse", name="MSELoss value", group="forward", needs_api=("MSELoss.forward",), variants=BOTH)
def mse_forward(ctx):
    _loss_forward(ctx, "MSELoss", "mse", "pred", "the mean squared error",
                  "return np.mean((pred - target) ** 2): the mean over all n*d elements.")


@check("forward.cross_entropy", name="CrossEntropyLoss value, with zero probabilities", group="forward",
       needs_api=("CrossEntropyLoss.forward",), variants=BOTH)
def cross_entropy_forward(ctx):
    _loss_forward(ctx, "CrossEntropyLoss", "cross_entropy", "probs",
                  "the cross-entropy (one probability off the true class is exactly 0)",
                  "return -np.sum(target * np.log(np.clip(probs, 1e-12, 1.0))) / n (natural log, mean over "
                  "samples); 0 * log(0) must count as 0.")
    f = ctx.fixture("cross_entropy_zero")
    loss = ctx.new("CrossEntropyLoss")
    yours = loss.call("forward", f["probs"], f["target"])
    value = ctx.scalar(yours, call="CrossEntropyLoss().forward(probs, target)")
    ctx.observe("zero_true_class", value, float(f["loss"]), probs=f["probs"], target=f["target"])
    judge_zero_true_class(ctx, value, f["probs"], f["target"], float(f["loss"]))


#: Smallest accepted clip of a zero true-class probability: each such sample must cost at least -log(1e-6).
ZERO_CLIP_FLOOR = 1e-6


def judge_zero_true_class(ctx, value: float, probs: np.ndarray, target: np.ndarray, documented: float) -> None:
    """A true-class probability of 0 must give a finite loss of at least ``-log(1e-6)`` per such sample.

    Any clip at or below 1e-6 (1e-7 as Keras and nnfs, 1e-8, 1e-15,
    ``np.maximum(p, 1e-300)``) passes; only a clip other than the documented
    1e-12 earns a 0-point note, which names the clip the value implies.
    """
    n = probs.shape[0]
    on_zero = (probs == 0) & (target > 0)
    zero_mass = float(np.sum(target[on_zero]))
    # NOTE: the known part uses only positive probabilities, so no log(0) is ever taken here.
    known = float(-np.sum(np.where((target > 0) & (probs > 0), target * np.log(np.where(probs > 0, probs, 1.0)),
                                   0.0)) / n)
    floor = known + zero_mass * -np.log(ZERO_CLIP_FLOOR) / n
    if not np.isfinite(value):
        raise CheckFailed(
            f"CrossEntropyLoss().forward(probs, target) returned {value} when a probability on the true "
            f"class is exactly 0; expected a finite value (the documented clip to [1e-12, 1] gives "
            f"{documented:.6g}). Fix: clip probs before np.log, e.g. np.clip(probs, 1e-12, 1.0).")
    if value < floor * (1 - 1e-9):
        raise CheckFailed(
            f"CrossEntropyLoss().forward(probs, target) returned {value:.6g} when a probability on the true "
            f"class is exactly 0: a sample with no probability on its true class must cost at least "
            f"-log({ZERO_CLIP_FLOOR:g}) = {-np.log(ZERO_CLIP_FLOOR):.4g}, which gives at least {floor:.6g} here "
            f"(the documented clip at 1e-12 gives {documented:.6g}). Fix: clip probs to [1e-12, 1] before the "
            "log; a larger clip (or a wrong term for that sample) hides the worst mistakes.")
    if not np.isclose(value, documented, rtol=ctx.rtol, atol=0.0) and zero_mass > 0:
        implied = float(np.exp(-(value - known) * n / zero_mass))
        ctx.note(f"CrossEntropyLoss at a zero true-class probability gives {value:.6g}, i.e. a clip of about "
                 f"{implied:.3g}; docs/API.md clips at 1e-12 (giving {documented:.6g}). Any clip up to "
                 f"{ZERO_CLIP_FLOOR:g} is accepted.")


@check("forward.softmax_ce", name="SoftmaxCrossEntropyLoss value", group="forward",
       needs_api=("SoftmaxCrossEntropyLoss.forward",), variants=BOTH)
def softmax_ce_forward(ctx):
    _loss_forward(ctx, "SoftmaxCrossEntropyLoss", "softmax_ce", "logits",
                  "the softmax cross-entropy of the logits",
                  "compute log-softmax as z - m - log(sum(exp(z - m))) per row (m = row max) and return "
                  "the mean over samples of -sum(target * log_softmax).")
    value = ctx.scalar(ctx.new("SoftmaxCrossEntropyLoss").call("forward", EXTREME_LOGITS, EXTREME_TARGET),
                       call="SoftmaxCrossEntropyLoss().forward(logits, target) at logits of +/-1000")
    ctx.observe("forward_extreme", value, EXTREME_LOSS, logits=EXTREME_LOGITS, target=EXTREME_TARGET)
    # NOTE: a clipped log (nnfs, Keras) caps each sample at -log(eps): accepted down to -log(1e-6), as for
    # CrossEntropyLoss; only inf, nan or a smaller value (the mistake hidden) fail.
    floor = -np.log(ZERO_CLIP_FLOOR)
    if not (np.isfinite(value) and value >= floor * (1 - 1e-9)):
        raise CheckFailed(
            f"SoftmaxCrossEntropyLoss().forward(logits, target) with logits {EXTREME_LOGITS.tolist()} and the "
            f"other class true returned {value:.6g}; the exact loss is {EXTREME_LOSS:g} (each sample costs "
            f"logsumexp(z) - z_true = 1000 - (-1000)), and at least {floor:.4g} is required. Fix: compute "
            "log-softmax as z - m - log(sum(exp(z - m))) per row (m = the row max), never "
            "log(exp(z) / sum(exp(z))), which gives log(0) = -inf here.")
    if not np.isclose(value, EXTREME_LOSS, rtol=ctx.rtol, atol=0.0):
        ctx.note(f"SoftmaxCrossEntropyLoss at logits of +/-1000 gives {value:.6g} where the exact loss is "
                 f"{EXTREME_LOSS:g}: the probabilities are clipped before the log; log-softmax "
                 "(z - m - log(sum(exp(z - m)))) is exact.")


@check("forward.cross_entropy_soft", name="CrossEntropyLoss value and gradient with soft targets", group="forward",
       needs_api=("CrossEntropyLoss.forward", "CrossEntropyLoss.backward"), variants=BOTH)
def cross_entropy_soft(ctx):
    soft_targets.judge(ctx, "CrossEntropyLoss", "cross_entropy_soft")


@check("forward.softmax_ce_soft", name="SoftmaxCrossEntropyLoss value and gradient with soft targets",
       group="forward", needs_api=("SoftmaxCrossEntropyLoss.forward", "SoftmaxCrossEntropyLoss.backward"),
       variants=BOTH)
def softmax_ce_soft(ctx):
    soft_targets.judge(ctx, "SoftmaxCrossEntropyLoss", "softmax_ce_soft")


#: Logits of magnitude 1000 with the other class true: each sample costs exactly 2000 (docs/API.md).
EXTREME_LOGITS = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]])
EXTREME_TARGET = np.array([[0.0, 1.0], [1.0, 0.0]])
EXTREME_LOSS = 2000.0


@check("forward.inputs_unchanged", name="No method modifies the arrays it is given", group="forward",
       needs_api=())
def inputs_unchanged(ctx):
    """Call every public method once with correct inputs; the worker reports any argument a call wrote into.

    Each method is judged on its own call (see :mod:`.in_place`); the check earns
    its points only through methods that returned right values: a stub that
    returns zeros leaves its input alone vacuously.
    """
    in_place.judge(ctx, in_place.run_probes(ctx, in_place.defined_in(ctx.extras.get("hello", {}))))


# -- fixtures (inputs drawn from each fixture's own rng; expected values from the reference) ------------
@fixture_generator("sigmoid")
def sigmoid_fixture(rng):
    sig = reference().Sigmoid()
    x, g = rng.normal(0, 3, (5, 4)), rng.normal(size=(5, 4))
    return {"x": x, "y": sig.forward(x), "g": g, "grad_x": sig.backward(g)}


@fixture_generator("sigmoid_extreme")
def sigmoid_extreme_fixture(rng):
    x = np.array([[-1000.0, -745.5, -40.0, 0.0], [40.0, 709.9, 1000.0, 0.0]])
    x[:, 3] = rng.normal(size=2)
    return {"x": x, "y": reference().Sigmoid().forward(x)}


def softmax_fixture_of(z, rng):
    """Softmax outputs, backward of a random ``g`` and Jacobians at ``z``, from the reference."""
    sm = reference().Softmax()
    g = rng.normal(size=z.shape)
    s = sm.forward(z)
    return {"z": z, "s": s, "g": g, "grad_z": sm.backward(g), "jacobian": sm.jacobian(z)}


@fixture_generator("softmax")
def softmax_fixture(rng):
    return softmax_fixture_of(rng.normal(0, 2, (5, 3)), rng)


@fixture_generator("softmax_square")
def softmax_square_fixture(rng):
    return softmax_fixture_of(rng.normal(0, 2, (4, 4)), rng)


@fixture_generator("softmax_extreme")
def softmax_extreme_fixture(rng):
    z = np.array([[1000.0, 999.0, 998.0, 0.0], [-1000.0, -1001.0, -999.5, -1000.0],
                  [1000.0, -1000.0, 0.0, 1.0]]) + rng.normal(0, 0.1, (3, 4))
    return softmax_fixture_of(z, rng)


def linear_fixture_of(rng, n, fan_in, fan_out):
    """A reference Linear layer with a random bias, one forward and one backward."""
    lin = reference().Linear(fan_in, fan_out, rng=rng)
    lin.b = rng.normal(size=fan_out)
    x, g = rng.normal(size=(n, fan_in)), rng.normal(size=(n, fan_out))
    y = lin.forward(x)
    grad_x = lin.backward(g)
    return {"x": x, "W": lin.W, "b": lin.b, "y": y, "g": g, "grad_x": grad_x, "dW": lin.dW, "db": lin.db}


@fixture_generator("linear")
def linear_fixture(rng):
    return linear_fixture_of(rng, 5, 3, 4)


@fixture_generator("mse")
def mse_fixture(rng):
    pred, target = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    mse = reference().MSELoss()
    return {"pred": pred, "target": target, "loss": np.float64(mse.forward(pred, target)), "grad": mse.backward()}


def _probabilities(rng, n, k):
    """Random probability rows and one-hot targets; row 0 has an exact zero off its true class."""
    probs = rng.dirichlet(np.ones(k), size=n)
    target = one_hot(rng, n, k)
    probs[0, np.argmin(target[0] + probs[0])] = 0.0
    probs[0] /= probs[0].sum()
    return probs, target


@fixture_generator("cross_entropy")
def cross_entropy_fixture(rng):
    probs, target = _probabilities(rng, 6, 4)
    ce = reference().CrossEntropyLoss()
    return {"probs": probs, "target": target, "loss": np.float64(ce.forward(probs, target)), "grad": ce.backward()}


@fixture_generator("cross_entropy_zero")
def cross_entropy_zero_fixture(rng):
    probs, target = _probabilities(rng, 6, 4)
    probs[1] = np.roll(target[1], 1)  # all mass on a wrong class: p = 0 on the true one
    return {"probs": probs, "target": target,
            "loss": np.float64(reference().CrossEntropyLoss().forward(probs, target))}


@fixture_generator("softmax_ce")
def softmax_ce_fixture(rng):
    logits, target = rng.normal(0, 2, (6, 3)), one_hot(rng, 6, 3)
    sce = reference().SoftmaxCrossEntropyLoss()
    return {"logits": logits, "target": target, "loss": np.float64(sce.forward(logits, target)),
            "grad": sce.backward()}


@fixture_generator("cross_entropy_soft")
def cross_entropy_soft_fixture(rng):
    return soft_targets.soft_fixture(rng, "CrossEntropyLoss")


@fixture_generator("softmax_ce_soft")
def softmax_ce_soft_fixture(rng):
    return soft_targets.soft_fixture(rng, "SoftmaxCrossEntropyLoss")
