"""Building blocks of the hostile corpus: entries, the context they are built in, shared sources.

A corpus entry is a submission written for one attack, with the score it may
get: every check matching ``attacked`` must earn 0 points, and (unless
``honest`` says otherwise) every other check worth points must pass in full.
Two kinds of submission recur:

* a **mutated reference**: the reference solution with one class redefined at
  the end of the module (a later ``class`` statement wins), so the attack
  costs only the checks that call it;
* an **inert** submission (:data:`INERT`): the whole API, every method
  answering through ``ANSWER(what, like, shape)``, which the attack defines and
  which falls back to zeros. Nothing in it computes a right answer, so any
  point it earns came from the attack. A *canary* attack embeds the
  reference solution but only runs it when the attack succeeded (read a
  secret, reached the network, found a cache), so points appear exactly when
  the sandbox leaks.

Every attack is bounded on its own (iteration caps, sleeps that end), so a
broken sandbox fails a test instead of harming the machine.
"""
from __future__ import annotations

import fnmatch
import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from submissions import reference_source

#: Checks that only call Softmax.jacobian: the target of the resource attacks (2 checks, fast timeouts).
JACOBIAN = ("jacobians.softmax_jacobian", "jacobians.softmax_jacobian.hidden")
#: Checks that call Softmax (forward, backward or jacobian). forward.softmax_ce is the loss, not Softmax.
#: forward.inputs_unchanged also calls Softmax's methods but only tests that inputs are not written to,
#: which a replaced Softmax may honestly pass or fail: see INERT_MAY_PASS.
SOFTMAX = ("forward.softmax", "forward.softmax.hidden", "forward.softmax_extreme", "forward.softmax_extreme.hidden",
           "forward.softmax_square", "forward.softmax_square.hidden",
           "jacobians.softmax_backward", "jacobians.softmax_backward.hidden", *JACOBIAN)
XOR = ("xor.softmax_ce", "xor.mse")
#: Checks a replaced or inert Softmax may pass honestly (it never writes into its inputs), or fail.
INERT_MAY_PASS = ("forward.inputs_unchanged",)
EVERYTHING = ("*",)
#: ``honest`` value meaning "every check worth points that is not attacked".
REST = ("<rest>",)

#: Small configuration: short deadlines, XOR and MNIST worth nothing (they still run, briefly).
SMALL_CONFIG = """
[limits]
call_timeout = 1.0
total_timeout = 120.0
[xor]
seeds = [0]
epochs = 20
[checks]
"xor.softmax_ce" = { points = 0 }
"xor.mse" = { points = 0 }
"mnist.accuracy" = { points = 0 }
"""
#: Full configuration for the training-integrity entries: the shipped defaults.
FULL_CONFIG = """
[limits]
call_timeout = 10.0
total_timeout = 300.0
"""
#: The small configuration with a whole-grade budget of 4 s (the time entries). The others get a
#: generous budget: they test attacks, not how loaded the machine is.
BUDGET_CONFIG = SMALL_CONFIG.replace("total_timeout = 120.0", "total_timeout = 4.0")
CONFIGS = {"small": SMALL_CONFIG, "full": FULL_CONFIG, "budget": BUDGET_CONFIG}
FAKE_RESULTS = json.dumps({"score": 100.0, "output": "All tests passed",
                           "tests": [{"name": "everything", "score": 100.0, "max_score": 100.0,
                                      "status": "passed"}]})


@dataclass
class Context:
    """Paths and values one entry is built with (fresh for every run).

    Attributes
    ----------
    root : Path
        Private folder of this run.
    token : str
        Unique hex string, e.g. for marker file names and process names.
    output : Path
        Where the grader writes its report (Gradescope's layout).
    grader_cwd : Path
        The grader's working directory.
    canary : Path
        A host folder an escaped submission would write into.
    kit_root : Path
        The checkout holding ``reference/`` and ``fixtures/``.
    fixtures : Path
        The fixtures folder the grader reads.
    port : int or None
        A loopback port that serves the reference source (network entries).
    run : int
        Index of this grading run (entries graded several times in a row).
    """

    root: Path
    token: str
    output: Path
    grader_cwd: Path
    canary: Path
    kit_root: Path
    fixtures: Path
    port: int | None = None
    run: int = 0

    def write(self, name: str, source: str) -> Path:
        folder = self.root / f"submission-{self.run}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(source)
        return path


@dataclass(frozen=True)
class Entry:
    """One hostile submission and the score it may get.

    Attributes
    ----------
    name, category, attack : str
        Identifier, family, and what the submission tries.
    build : callable
        ``build(ctx) -> Path`` writes the submission.
    attacked : tuple of str
        Check-id patterns (fnmatch) that must earn 0 points.
    honest : tuple of str
        Patterns that must pass in full; :data:`REST` (default) means every
        other check worth points; ``()`` claims nothing.
    may_pass : tuple of str
        Patterns excluded from ``attacked`` because any submission may pass them.
    config : str
        A key of :data:`CONFIGS`: ``"small"``, ``"full"`` or ``"budget"``.
    needs_mnist : bool
        Skipped (with the reason) when ``NNGRADE_MNIST_DIR`` is not set.
    runs : int
        Grade this many times in a row (caches across runs); every run is judged.
    landlock : bool
        Also run with ``NNGRADE_SANDBOX=landlock`` (confinement attacks).
    after : callable or None
        ``after(ctx, outcome)``: extra assertions on side effects.
    server : bool
        Needs the loopback server that hands out the reference source.
    expect : tuple of str
        Statuses the attacked checks may end in (empty: any), to show the attack really ran.
    evidence : str
        Text that must appear in the message of at least one attacked check.
    imports : bool
        The submission imports cleanly (api.conformance passes), so its attack code really ran.
    """

    name: str
    category: str
    attack: str
    build: Callable[[Context], Path]
    attacked: tuple[str, ...]
    honest: tuple[str, ...] = REST
    may_pass: tuple[str, ...] = ()
    config: str = "small"
    needs_mnist: bool = False
    runs: int = 1
    landlock: bool = False
    after: Callable | None = field(default=None, compare=False)
    server: bool = False
    expect: tuple[str, ...] = ()
    evidence: str = ""
    imports: bool = True

    def is_attacked(self, check_id: str) -> bool:
        return matches(check_id, self.attacked) and not matches(check_id, self.may_pass)

    def must_pass(self, check_id: str) -> bool:
        if self.is_attacked(check_id) or matches(check_id, self.may_pass):
            return False
        return self.honest == REST or matches(check_id, self.honest)


def matches(check_id: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(check_id, pattern) for pattern in patterns)


def dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n"


# --------------------------------------------------------------------------- sources

#: The whole API; every answer comes from ANSWER(what, like, shape), defined by the attack.
INERT = dedent('''
    import numpy as np

    def _answer(what, like, shape=None):
        shape = np.shape(like) if shape is None else shape
        found = ANSWER(what, like, shape)
        return np.zeros(shape) if found is None else found

    def _scalar(what, like):
        found = ANSWER(what, like, ())
        return 0.0 if found is None else found

    class Sigmoid:
        def forward(self, x):
            return _answer("Sigmoid.forward", x)
        def backward(self, grad_y):
            return _answer("Sigmoid.backward", grad_y)

    class Softmax:
        def forward(self, z):
            return _answer("Softmax.forward", z)
        def backward(self, grad_s):
            return _answer("Softmax.backward", grad_s)
        def jacobian(self, z):
            n, k = np.shape(z)
            return _answer("Softmax.jacobian", z, (n, k, k))

    class Linear:
        def __init__(self, in_features, out_features, rng=None):
            self.W = np.zeros((in_features, out_features))
            self.b = np.zeros(out_features)
            self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)
        def forward(self, x):
            return _answer("Linear.forward", x, (np.shape(x)[0], self.W.shape[1]))
        def backward(self, grad_y):
            return _answer("Linear.backward", grad_y, (np.shape(grad_y)[0], self.W.shape[0]))

    class _Loss:
        def forward(self, a, target):
            self.a = a
            return _scalar(type(self).__name__ + ".forward", a)
        def backward(self):
            return _answer(type(self).__name__ + ".backward", self.a)

    class MSELoss(_Loss):
        def forward(self, pred, target):
            return _Loss.forward(self, pred, target)

    class CrossEntropyLoss(_Loss):
        def forward(self, probs, target):
            return _Loss.forward(self, probs, target)

    class SoftmaxCrossEntropyLoss(_Loss):
        def forward(self, logits, target):
            return _Loss.forward(self, logits, target)

    class Network:
        def __init__(self, layers):
            self.layers = list(layers)
        # Composition is a unit of its own (gradients.network_backward runs it over the grader's layers),
        # so the inert Network does not chain its layers either: it answers through ANSWER like the rest.
        def forward(self, x):
            return _answer("Network.forward", x)
        def backward(self, grad_out):
            return _answer("Network.backward", grad_out)
        def parameters(self):
            return [pair for layer in self.layers if hasattr(layer, "W")
                    for pair in ((layer.W, layer.dW), (layer.b, layer.db))]
        def step(self, lr):
            pass

    def train(network, loss, X, Y, *, epochs, lr, batch_size, rng):
        return [0.0] * epochs
''')

#: Attack hook of an inert submission that never finds anything.
NO_ANSWER = "def ANSWER(what, like, shape):\n    return None\n"


def inert(attack: str, *, hook: str = NO_ANSWER) -> str:
    """An inert submission: ``attack`` runs at import, ``hook`` defines ANSWER."""
    return INERT + "\n" + dedent(hook) + "\n" + dedent(attack)


def canary(attack: str) -> str:
    """An inert submission that becomes the reference when ``attack`` (which sets LEAKED) succeeds.

    The reference is embedded but only executed when the attack leaked
    something, so any point earned proves the leak.
    """
    embedded = repr(reference_source())
    return inert("LEAKED = False\n" + dedent(attack) + dedent(f'''
        if LEAKED:
            exec(compile({embedded}, "leaked", "exec"), globals())
    '''))


def reference_with(extra: str) -> str:
    """The reference solution with ``extra`` appended (e.g. a redefined class or import-time code)."""
    return reference_source() + "\n\n" + dedent(extra)


def softmax_replaced(forward_body: str, *, prelude: str = "") -> str:
    """The reference whose Softmax is redefined: ``forward_body`` is the body of forward(self, z)."""
    body = textwrap.indent(dedent(forward_body), " " * 8)
    return reference_with(dedent(prelude) + "\n" + dedent('''
        class Softmax:
            def forward(self, z):
        ''') + body + textwrap.indent(dedent('''
            def backward(self, grad_s):
                return np.zeros(np.shape(grad_s))

            def jacobian(self, z):
                n, k = np.shape(z)
                return np.zeros((n, k, k))
        '''), " " * 4))


def jacobian_replaced(body: str, *, prelude: str = "") -> str:
    """The reference with Softmax.jacobian redefined (the resource attacks): 2 checks at stake."""
    indented = textwrap.indent(dedent(body), " " * 4)
    return reference_with(dedent(prelude) + "\n" + "def _hostile_jacobian(self, z):\n" + indented
                          + "\nSoftmax.jacobian = _hostile_jacobian\n")
