"""The assignment written for Otter-Grader, built from ``reference/``.

:func:`write_master` writes an Otter master notebook (Otter Assign's v1
format: raw ``# BEGIN QUESTION`` / ``# BEGIN SOLUTION`` / ``# BEGIN TESTS``
cells) with one question per part the nngrade checks cover without MNIST:
sigmoid, softmax (forward, Jacobian, backward), linear, MSE and
cross-entropy losses, backpropagation through a network, the SGD step, and
XOR training. The solution cells hold the reference's own code, with its
``### BEGIN/END SOLUTION`` regions turned into Otter's ``# BEGIN/END SOLUTION``.
Tests are the checks an Otter author would write without a reference to
compare with: closed forms, central finite differences and the training
outcome; each question has public and hidden tests.

:func:`write_submission_notebook` writes the submission: the same code cells
(markers removed) as a plain notebook, graded by both ``otter run`` and
``nngrade grade``. :func:`reference_module_source` is the same code as one
``.py`` file.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"
MODULES = ("layers.py", "losses.py", "network.py")
IMPORTS = "from __future__ import annotations\n\nimport numpy as np"

#: Question name -> (top-level names of the reference it asks for, public tests, hidden tests).
QUESTIONS: dict[str, tuple[tuple[str, ...], list[str], list[str]]] = {
    "sigmoid": (("as_float_array", "Sigmoid"), [
        "rng = np.random.default_rng(0)\nx = rng.normal(size=(4, 3)) * 4\n"
        "assert np.allclose(Sigmoid().forward(x), 1 / (1 + np.exp(-x)))",
    ], [
        "import warnings\nwith warnings.catch_warnings():\n    warnings.simplefilter('error')\n"
        "    y = Sigmoid().forward(np.array([[-1000.0, 0.0, 1000.0]]))\nassert np.allclose(y, [[0.0, 0.5, 1.0]])",
        "rng = np.random.default_rng(1)\nx, g = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))\n"
        "layer = Sigmoid()\n_ = layer.forward(x)\neps = 1e-6\n"
        "numeric = (Sigmoid().forward(x + eps) - Sigmoid().forward(x - eps)) / (2 * eps) * g\n"
        "assert np.allclose(layer.backward(g), numeric, atol=1e-7)",
    ]),
    "softmax": (("Softmax",), [
        "rng = np.random.default_rng(2)\nz = rng.normal(size=(4, 5))\ns = Softmax().forward(z)\n"
        "assert np.allclose(s, np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))",
    ], [
        "import warnings\nwith warnings.catch_warnings():\n    warnings.simplefilter('error')\n"
        "    s = Softmax().forward(np.array([[1000.0, 0.0, -1000.0]]))\nassert np.allclose(s, [[1.0, 0.0, 0.0]])",
        "rng = np.random.default_rng(3)\nz = rng.normal(size=(3, 4))\nJ = Softmax().jacobian(z)\neps = 1e-6\n"
        "numeric = np.zeros((3, 4, 4))\nfor j in range(4):\n    dz = np.zeros_like(z)\n    dz[:, j] = eps\n"
        "    numeric[:, :, j] = (Softmax().forward(z + dz) - Softmax().forward(z - dz)) / (2 * eps)\n"
        "assert J.shape == (3, 4, 4) and np.allclose(J, numeric, atol=1e-7)",
        "rng = np.random.default_rng(4)\nz, g = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))\n"
        "layer = Softmax()\n_ = layer.forward(z)\nJ = Softmax().jacobian(z)\n"
        "assert np.allclose(layer.backward(g), np.einsum('nij,ni->nj', J, g))",
    ]),
    "linear": (("Linear",), [
        "layer = Linear(5, 3, rng=np.random.default_rng(5))\nx = np.random.default_rng(6).normal(size=(4, 5))\n"
        "assert layer.W.shape == (5, 3) and layer.b.shape == (3,)\n"
        "assert np.abs(layer.W).max() <= 1 / np.sqrt(5) and np.abs(layer.b).max() <= 1 / np.sqrt(5)\n"
        "assert np.allclose(layer.forward(x), x @ layer.W + layer.b)",
    ], [
        "rng = np.random.default_rng(7)\nlayer = Linear(4, 3, rng=rng)\nx, g = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))\n"
        "layer.forward(x)\ngx = layer.backward(g)\neps = 1e-6\n"
        "def f(W, b, x):\n    return float(np.sum((x @ W + b) * g))\n"
        "num_W = np.zeros_like(layer.W)\nfor idx in np.ndindex(*layer.W.shape):\n    d = np.zeros_like(layer.W)\n"
        "    d[idx] = eps\n    num_W[idx] = (f(layer.W + d, layer.b, x) - f(layer.W - d, layer.b, x)) / (2 * eps)\n"
        "num_x = np.zeros_like(x)\nfor idx in np.ndindex(*x.shape):\n    d = np.zeros_like(x)\n    d[idx] = eps\n"
        "    num_x[idx] = (f(layer.W, layer.b, x + d) - f(layer.W, layer.b, x - d)) / (2 * eps)\n"
        "assert np.allclose(layer.dW, num_W, atol=1e-6) and np.allclose(layer.db, g.sum(axis=0))\n"
        "assert np.allclose(gx, num_x, atol=1e-6)",
    ]),
    "losses": (("MSELoss", "CrossEntropyLoss", "SoftmaxCrossEntropyLoss"), [
        "rng = np.random.default_rng(8)\np, t = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))\nloss = MSELoss()\n"
        "assert np.isclose(loss.forward(p, t), np.mean((p - t) ** 2))\n"
        "assert np.allclose(loss.backward(), 2 * (p - t) / p.size)",
    ], [
        "rng = np.random.default_rng(9)\nprobs = rng.dirichlet(np.ones(4), size=5)\nt = np.eye(4)[rng.integers(0, 4, 5)]\n"
        "loss = CrossEntropyLoss()\nassert np.isclose(loss.forward(probs, t), -np.mean(np.sum(t * np.log(probs), axis=1)))\n"
        "assert np.allclose(loss.backward(), -t / probs / 5)",
        "rng = np.random.default_rng(10)\nz = rng.normal(size=(5, 4)) * 3\nt = np.eye(4)[rng.integers(0, 4, 5)]\n"
        "loss = SoftmaxCrossEntropyLoss()\nvalue = loss.forward(z, t)\ngrad = loss.backward()\neps = 1e-6\n"
        "numeric = np.zeros_like(z)\nfor idx in np.ndindex(*z.shape):\n    d = np.zeros_like(z)\n    d[idx] = eps\n"
        "    numeric[idx] = (SoftmaxCrossEntropyLoss().forward(z + d, t)\n"
        "                    - SoftmaxCrossEntropyLoss().forward(z - d, t)) / (2 * eps)\n"
        "s = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)\n"
        "assert np.isclose(value, -np.mean(np.sum(t * np.log(s), axis=1))) and np.allclose(grad, numeric, atol=1e-7)\n"
        "assert np.isfinite(SoftmaxCrossEntropyLoss().forward(np.array([[1000.0, -1000.0]]), np.array([[0.0, 1.0]])))",
    ]),
    "backprop": (("Network",), [
        "rng = np.random.default_rng(11)\nnet = Network([Linear(3, 4, rng=rng), Sigmoid(), Linear(4, 2, rng=rng)])\n"
        "x = rng.normal(size=(5, 3))\nh = 1 / (1 + np.exp(-(x @ net.layers[0].W + net.layers[0].b)))\n"
        "assert np.allclose(net.forward(x), h @ net.layers[2].W + net.layers[2].b)",
    ], [
        "rng = np.random.default_rng(12)\nnet = Network([Linear(3, 4, rng=rng), Sigmoid(), Linear(4, 2, rng=rng)])\n"
        "x, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))\nloss = MSELoss()\n_ = loss.forward(net.forward(x), t)\n"
        "_ = net.backward(loss.backward())\nW = net.layers[0].W\neps = 1e-6\nnumeric = np.zeros_like(W)\n"
        "for idx in np.ndindex(*W.shape):\n    old = W[idx]\n    W[idx] = old + eps\n    up = MSELoss().forward(net.forward(x), t)\n"
        "    W[idx] = old - eps\n    down = MSELoss().forward(net.forward(x), t)\n    W[idx] = old\n"
        "    numeric[idx] = (up - down) / (2 * eps)\n"
        "assert np.allclose(net.layers[0].dW, numeric, atol=1e-7)\n"
        "assert [p.shape for p, _ in net.parameters()] == [(3, 4), (4,), (4, 2), (2,)]",
    ]),
    "sgd_step": ((), [
        "rng = np.random.default_rng(13)\nnet = Network([Linear(3, 2, rng=rng)])\nx = rng.normal(size=(4, 3))\n"
        "_ = net.forward(x)\n_ = net.backward(np.ones((4, 2)))\nW = net.layers[0].W\nbefore = W.copy()\ngrad = net.layers[0].dW.copy()\n"
        "net.step(0.1)\nassert net.layers[0].W is W and np.allclose(W, before - 0.1 * grad)",
    ], [
        "rng = np.random.default_rng(14)\nnet = Network([Linear(3, 2, rng=rng), Sigmoid(), Linear(2, 2, rng=rng)])\n"
        "net.forward(rng.normal(size=(4, 3)))\nnet.backward(rng.normal(size=(4, 2)))\n"
        "expected = [p - 0.5 * g for p, g in net.parameters()]\nnet.step(0.5)\n"
        "assert all(np.allclose(p, e) for (p, _), e in zip(net.parameters(), expected))",
    ]),
    "xor": (("train",), [
        "X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])\nY = np.eye(2)[[0, 1, 1, 0]]\n"
        "rng = np.random.default_rng(15)\nnet = Network([Linear(2, 8, rng=rng), Sigmoid(), Linear(8, 2, rng=rng)])\n"
        "history = train(net, SoftmaxCrossEntropyLoss(), X, Y, epochs=2000, lr=1.0, batch_size=4, rng=rng)\n"
        "assert len(history) == 2000 and history[-1] < history[0]\n"
        "assert (net.forward(X).argmax(axis=1) == [0, 1, 1, 0]).all()",
    ], [
        "X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])\nY = np.eye(2)[[0, 1, 1, 0]]\n"
        "for seed in range(3):\n    rng = np.random.default_rng(100 + seed)\n"
        "    net = Network([Linear(2, 8, rng=rng), Sigmoid(), Linear(8, 2, rng=rng), Sigmoid()])\n"
        "    _ = train(net, MSELoss(), X, Y, epochs=3000, lr=2.0, batch_size=2, rng=rng)\n"
        "    assert (net.forward(X).argmax(axis=1) == [0, 1, 1, 0]).all(), seed",
    ]),
}


def reference_definitions() -> dict[str, str]:
    """Source of every top-level class and function of the reference, by name (markers kept).

    Module-level constants (such as the cross-entropy clipping bound) go with the
    imports, under the key ``""``.
    """
    definitions = {"": IMPORTS}
    for name in MODULES:
        text = (REFERENCE / name).read_text()
        lines = text.splitlines()
        for node in ast.parse(text).body:
            source = "\n".join(lines[node.lineno - 1:node.end_lineno])
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                definitions[node.name] = source
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                definitions[""] += "\n" + source
    return definitions


def _otter_markers(source: str) -> str:
    """The reference's ``### BEGIN/END SOLUTION (TODO ...)`` lines as Otter's ``# BEGIN/END SOLUTION``."""
    source = re.sub(r"^(\s*)### BEGIN SOLUTION.*$", r"\1# BEGIN SOLUTION", source, flags=re.M)
    return re.sub(r"^(\s*)### END SOLUTION.*$", r"\1# END SOLUTION", source, flags=re.M)


def _without_markers(source: str) -> str:
    return re.sub(r"^\s*### (BEGIN|END) SOLUTION.*\n", "", source + "\n", flags=re.M).rstrip("\n")


class _Quiet(ast.NodeTransformer):
    """``f(x)`` statements become ``_ = f(x)``: a doctest (Otter's OK format) fails on any printed value."""

    def visit_Expr(self, node: ast.Expr):
        if isinstance(node.value, ast.Call):
            return ast.copy_location(ast.Assign(targets=[ast.Name("_", ast.Store())], value=node.value), node)
        return node


def _test_cell(test: str) -> str:
    return ast.unparse(ast.fix_missing_locations(_Quiet().visit(ast.parse(test))))


def _question_code(names: tuple[str, ...], definitions: dict[str, str]) -> str:
    return "\n\n\n".join(definitions[name] for name in names)


def write_master(path: Path) -> Path:
    """Write the Otter master notebook to ``path``."""
    definitions = reference_definitions()
    v4 = nbformat.v4
    cells = [v4.new_raw_cell("# ASSIGNMENT CONFIG\ninit_cell: false\ncheck_all_cell: false\n"
                             "export_cell: false\nrun_tests: true\nsolutions_pdf: false\ntemplate_pdf: false"),
             v4.new_markdown_cell("# Neural network from scratch in NumPy"),
             v4.new_code_cell(definitions[""])]
    for question, (names, public, hidden) in QUESTIONS.items():
        cells.append(v4.new_raw_cell(f"# BEGIN QUESTION\nname: {question}\npoints: {len(public) + len(hidden)}\n"
                                     "check_cell: false"))
        cells.append(v4.new_markdown_cell(f"Implement `{question}`."))
        if names:
            cells.append(v4.new_code_cell(_otter_markers(_question_code(names, definitions))))
        cells.append(v4.new_raw_cell("# BEGIN TESTS"))
        cells.extend(v4.new_code_cell(_test_cell(test)) for test in public)
        cells.extend(v4.new_code_cell("# HIDDEN\n" + _test_cell(test)) for test in hidden)
        cells.append(v4.new_raw_cell("# END TESTS"))
        cells.append(v4.new_raw_cell("# END QUESTION"))
    return _write(path, v4.new_notebook(cells=cells))


def write_submission_notebook(path: Path, replacements: tuple[tuple[str, str], ...] = ()) -> Path:
    """Write a submission notebook with the reference's code (``old -> new`` replacements applied)."""
    definitions = reference_definitions()
    sources = [definitions[""]] + [_without_markers(_question_code(names, definitions))
                                   for names, _public, _hidden in QUESTIONS.values() if names]
    for old, new in replacements:
        if sum(source.count(old) for source in sources) != 1:
            raise ValueError(f"expected {old!r} exactly once in the reference")
        sources = [source.replace(old, new) for source in sources]
    v4 = nbformat.v4
    cells = [v4.new_markdown_cell("# Neural network from scratch in NumPy")]
    for question, source in zip(("",) + tuple(q for q, (names, _, _) in QUESTIONS.items() if names), sources):
        if question:
            cells.append(v4.new_markdown_cell(f"Implement `{question}`."))
        cells.append(v4.new_code_cell(source))
    return _write(path, v4.new_notebook(cells=cells))


def reference_module_source(replacements: tuple[tuple[str, str], ...] = ()) -> str:
    """The same code as one ``.py`` module."""
    definitions = reference_definitions()
    body = "\n\n\n".join(_without_markers(_question_code(names, definitions)) for names, _, _ in QUESTIONS.values())
    return _replace(definitions[""] + "\n\n\n" + body + "\n", replacements)


def _replace(source: str, replacements: tuple[tuple[str, str], ...]) -> str:
    for old, new in replacements:
        if source.count(old) != 1:
            raise ValueError(f"expected {old!r} exactly once in the reference")
        source = source.replace(old, new)
    return source


def _write(path: Path, notebook) -> Path:
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path
