"""Training-integrity entries: XOR and MNIST scores must come from gradient descent, not from shipped answers.

Each cheat only triggers on the XOR (first layer 2x4) or MNIST (784x128)
networks, so every other check still passes and the entry shows exactly what
integrity costs. The ``after`` hooks also confirm that the cheat *would* have
scored (100% XOR accuracy, MNIST accuracy above the bar), so a pass here means
integrity caught it, not that the cheat was ineffective.
"""
from __future__ import annotations

import base64
import os
import subprocess
import sys
import textwrap

from submissions import REFERENCE_DIR

from hostile.kit import XOR, Context, Entry, dedent, reference_with

INTEGRITY_MESSAGE = "training must update parameters only with the gradient"
DESCENT_MESSAGE = "did not follow gradient descent"

#: A hand-made XOR solution for the 2-4-2 (softmax) and 2-4-1 (sigmoid) networks: h1 = OR, h2 = AND.
SOLUTION = dedent('''
    import numpy as np

    def _xor_solution(linears):
        first, last = linears[0], linears[-1]
        first.W[...] = [[20.0, 20.0, 0.0, 0.0], [20.0, 20.0, 0.0, 0.0]]
        first.b[...] = [-10.0, -30.0, 0.0, 0.0]
        if last.W.shape[1] == 2:
            last.W[...] = [[0.0, 20.0], [0.0, -40.0], [0.0, 0.0], [0.0, 0.0]]
            last.b[...] = [0.0, -10.0]
        else:
            last.W[...] = [[20.0], [-40.0], [0.0], [0.0]]
            last.b[...] = [-10.0]

    def _linears(network):
        return [layer for layer in network.layers if hasattr(layer, "W")]

    def _is_xor(network):
        linears = _linears(network)
        return bool(linears) and linears[0].W.shape == (2, 4)
''')


def _xor_step(name: str, body: str):
    def build(ctx: Context):
        return ctx.write(f"{name}.py", reference_with(SOLUTION + "\n" + dedent('''
            _honest_step = Network.step

            def _step(self, lr):
                if not _is_xor(self):
                    return _honest_step(self, lr)
            ''') + textwrap.indent(dedent(body), "    ") + "\nNetwork.step = _step\n"))
    return build


def _forged_snapshots(ctx: Context):
    return ctx.write("forged_snapshots.py", reference_with(SOLUTION + "\n" + dedent('''
        import gc
        import sys
        _worker_class = getattr(sys.modules.get("__main__"), "Worker", None)
        for _worker in [o for o in gc.get_objects() if _worker_class is not None and isinstance(o, _worker_class)]:
            def _train_then_swap(request, arrays, _honest_run=_worker.op_train_steps, _worker=_worker):
                value, what = _honest_run(request, arrays)  # honest parameters in the snapshots
                network = _worker.decode_args(request.get("net"), arrays)
                if _is_xor(network):
                    _xor_solution(_linears(network))  # ... and a solution in the layers
                return value, what

            _worker.op_train_steps = _train_then_swap
    ''')))


def _xor_cheat_would_have_scored(ctx: Context, outcome) -> None:
    for check in outcome.report["checks"]:
        if check["id"] in XOR:
            assert check["status"] == "failed" and DESCENT_MESSAGE in check["message"], check["message"][:500]
            assert INTEGRITY_MESSAGE in check["message"], check["message"][:500]
            assert check["data"]["accuracies"] == [1.0] * len(check["data"]["accuracies"]), check["data"]


# --------------------------------------------------------------------------- MNIST

_PRETRAINED: dict[str, bytes] = {}

#: Trains the reference on the MNIST training split with its own initialisation and batch order.
PRETRAIN = dedent('''
    import io, sys
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    from nngrade import reference
    from nngrade.assignments.nn_from_scratch.data import load_mnist
    from nngrade.engine.config import load_config
    from nngrade.assignments.nn_from_scratch.training.mnist_plan import plan, training_set
    cfg = dict(load_config()["mnist"], epochs=2)
    data = load_mnist(sys.argv[2])
    x, labels = training_set(data, cfg)
    sizes, params, batches = plan(len(labels), cfg, 987654)
    layers = [reference.Linear(784, sizes[1]), reference.Sigmoid(), reference.Linear(sizes[1], 10)]
    layers[0].W, layers[0].b, layers[2].W, layers[2].b = params
    net, loss = reference.Network(layers), reference.SoftmaxCrossEntropyLoss()
    x, y = x.reshape(len(x), -1) / 255.0, np.eye(10)[labels]
    for idx in batches:
        loss.forward(net.forward(x[idx]), y[idx])
        net.backward(loss.backward())
        net.step(cfg["lr"])
    buffer = io.BytesIO()
    np.savez(buffer, W0=layers[0].W, b0=layers[0].b, W1=layers[2].W, b1=layers[2].b)
    sys.stdout.buffer.write(buffer.getvalue())
''')


def pretrained_weights(mnist_dir: str) -> bytes:
    """Weights the reference trained beforehand (2 epochs, another init and order), as npz bytes."""
    if mnist_dir not in _PRETRAINED:
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        result = subprocess.run([sys.executable, "-c", PRETRAIN, str(REFERENCE_DIR.parent), mnist_dir],
                                capture_output=True, env=env, timeout=600, check=True)
        _PRETRAINED[mnist_dir] = result.stdout
    return _PRETRAINED[mnist_dir]


def _pretrained(ctx: Context):
    weights = base64.b64encode(pretrained_weights(os.environ["NNGRADE_MNIST_DIR"])).decode()
    return ctx.write("pretrained.py", reference_with(f'''
        import base64, io
        _WEIGHTS = np.load(io.BytesIO(base64.b64decode({weights!r})))
        _honest_step = Network.step

        def _step(self, lr):
            linears = [layer for layer in self.layers if hasattr(layer, "W")]
            if linears and linears[0].W.shape == (784, 128):
                for layer, (W, b) in zip(linears, (("W0", "b0"), ("W1", "b1"))):
                    layer.W[...] = _WEIGHTS[W]
                    layer.b[...] = _WEIGHTS[b]
                return
            _honest_step(self, lr)

        Network.step = _step
    '''))


def _lookup_table(ctx: Context):
    # Remembers the label of every training image it is shown; test images are never shown.
    return ctx.write("lookup.py", reference_with('''
        import hashlib
        _TABLE, _SEEN = {}, {"rows": None}
        _honest_forward, _honest_step = Network.forward, Network.step
        _honest_loss = SoftmaxCrossEntropyLoss.forward

        def _key(row):
            return hashlib.blake2b(np.ascontiguousarray(row).tobytes(), digest_size=8).digest()

        def _forward(self, x):
            honest = _honest_forward(self, x)  # keeps every layer's cache, so backward still runs
            if np.shape(x)[-1] != 784:
                return honest
            _SEEN["rows"] = x
            return np.array([_TABLE.get(_key(row), np.full(10, 0.1)) * 1000.0 for row in x])

        def _loss(self, logits, target):
            if _SEEN["rows"] is not None and len(_SEEN["rows"]) == len(target):
                _TABLE.update((_key(row), np.asarray(label)) for row, label in zip(_SEEN["rows"], target))
            return _honest_loss(self, logits, target)

        def _step(self, lr):
            if any(getattr(layer, "W", np.zeros((0, 0))).shape == (784, 128) for layer in self.layers):
                return  # never train: predictions come from the table
            _honest_step(self, lr)

        Network.forward, Network.step, SoftmaxCrossEntropyLoss.forward = _forward, _step, _loss
    '''))


def _mnist_cheat_would_have_scored(ctx: Context, outcome) -> None:
    check = next(c for c in outcome.report["checks"] if c["id"] == "mnist.accuracy")
    assert check["status"] == "failed" and INTEGRITY_MESSAGE in check["message"], check["message"][:500]
    assert check["data"]["accuracy"] >= check["data"]["required"], check["data"]


def _mnist_lookup_earned_nothing(ctx: Context, outcome) -> None:
    check = next(c for c in outcome.report["checks"] if c["id"] == "mnist.accuracy")
    assert check["status"] == "failed" and check["data"]["accuracy"] < 0.3, check["data"]


def _float32(ctx: Context):
    return ctx.write("float32_training.py", reference_with('''
        def _forward32(self, x):
            x = as_float_array(x)
            self.x = x
            return (x.astype(np.float32) @ self.W.astype(np.float32) + self.b.astype(np.float32)).astype(x.dtype)

        def _backward32(self, grad_y):
            g = as_float_array(grad_y)
            g32 = g.astype(np.float32)
            self.dW = (self.x.astype(np.float32).T @ g32).astype(self.W.dtype)
            self.db = g32.sum(axis=0).astype(self.b.dtype)
            return (g32 @ self.W.astype(np.float32).T).astype(g.dtype)

        Linear.forward, Linear.backward = _forward32, _backward32
    '''))


SIGN_STEP = "for param, grad in self.parameters():\n    param -= 0.1 * lr * np.sign(grad)"
JUMP_STEP = ("self._calls = getattr(self, '_calls', 0) + 1\nif self._calls == 250:\n"
             "    return _xor_solution(_linears(self))\nreturn _honest_step(self, lr)")
CAUGHT = dict(config="full", expect=("failed",), evidence="only with the gradient")


ENTRIES = [
    Entry("xor_step_loads_a_solution", "training", "Network.step writes hand-made XOR weights instead of descending",
          _xor_step("xor_solution", "_xor_solution(_linears(self))"), XOR, after=_xor_cheat_would_have_scored,
          **CAUGHT),
    Entry("xor_sign_descent", "training", "Network.step moves by -lr * sign(grad), ignoring the gradient's size",
          _xor_step("xor_sign", SIGN_STEP), XOR, **CAUGHT),
    Entry("xor_jump_at_step_250", "training", "honest steps, except that call 250 loads the XOR solution",
          _xor_step("xor_jump", JUMP_STEP), XOR, after=_xor_cheat_would_have_scored, **CAUGHT),
    Entry("xor_snapshots_forged_in_the_worker", "training",
          "patch the worker's train_steps: honest snapshots, then the solution written into the layers",
          _forged_snapshots, XOR, after=_xor_cheat_would_have_scored, **CAUGHT),
    Entry("float32_training_is_legitimate", "training",
          "Linear computes in float32 inside (a legitimate student): XOR must still pass", _float32, (),
          config="full"),
    Entry("mnist_pretrained_weights", "training",
          "Network.step loads weights the reference trained beforehand (base64 npz in the source)",
          _pretrained, ("mnist.accuracy",), needs_mnist=True, after=_mnist_cheat_would_have_scored, **CAUGHT),
    Entry("mnist_test_label_lookup", "training",
          "Network.forward answers from a lookup table and never trains (it never sees test labels)",
          _lookup_table, ("mnist.accuracy",), config="full", needs_mnist=True, after=_mnist_lookup_earned_nothing,
          expect=("failed",)),
    Entry("mnist_float32_training_is_legitimate", "training",
          "Linear computes in float32 inside: MNIST must still pass", _float32, (), config="full", needs_mnist=True),
]
