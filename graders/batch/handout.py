"""The notebook handout: the student template as one Jupyter notebook with check cells.

:func:`handout_notebook` builds it (``nngrade export student --notebook``): a
setup cell, then one section per unit of the template (its instructions at the
chosen hint level, its code to complete, and a check cell
``check_notebook("softmax")``). :func:`check_notebook` runs that unit's public
checks on the notebook's current code through the same loader and sandbox as
``nngrade check``. Submitted, the notebook is graded like any notebook: its
check cells do nothing unless run in the notebook itself (``__name__ ==
"__main__"``), and the setup cell tolerates a grader where nngrade is not
importable.
"""
from __future__ import annotations

import ast
import inspect
import re
import sys
import tempfile
from pathlib import Path

#: Template definition -> (unit name, ``--only`` expression of its public checks).
UNITS = {
    "Sigmoid": ("sigmoid", "sigmoid"),
    "Softmax": ("softmax", "softmax and not softmax_ce"),
    "Linear": ("linear", "linear"),
    "MSELoss": ("mse", "mse and not xor"),
    "CrossEntropyLoss": ("cross_entropy", "cross_entropy"),
    "SoftmaxCrossEntropyLoss": ("softmax_ce", "softmax_ce and not xor"),
    "Network": ("network", "network_backward or step or no_accumulation"),
    "train": ("train", "xor"),
}
MODULES = ("layers.py", "losses.py", "network.py")

SETUP = '''import numpy as np

try:
    from nngrade import check_notebook
except ImportError:  # the grader runs this notebook without the kit: the check cells do nothing
    def check_notebook(unit, notebook=None):
        return None
'''

INTRO = """# {name}

Complete every `raise NotImplementedError(...)` below, section by section. After each section, run its
check cell: it runs that part's public checks on the code of this notebook (the cells you have run),
in a separate process, as `nngrade check` does, and explains every failure. Run the setup cell first.
The final grade also uses hidden checks with other inputs.
"""


def _definitions(source: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Module-level helper code (imports dropped) and ``(name, code)`` of each class and function."""
    tree = ast.parse(source)
    lines = source.splitlines()
    helpers, found = [], []
    for node in tree.body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        text = "\n".join(lines[start - 1:node.end_lineno])
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            found.append((node.name, text))
        elif isinstance(node, (ast.Import, ast.ImportFrom)) or (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            continue
        else:
            helpers.append(text)
    return helpers, found


def _instructions(code: str) -> str:
    todos = re.findall(r'raise NotImplementedError\("(.*?)"\)', code)
    return "\n".join(f"- {todo}" for todo in todos)


def handout_notebook(assignment_name: str, *, hints: str = "concept", template: dict[str, str] | None = None):
    """The handout as an ``nbformat`` notebook.

    Parameters
    ----------
    assignment_name : str
        Title of the notebook.
    hints : str
        Hint level of the TODO texts (as ``nngrade template build --hints``).
    template : dict, optional
        File name -> template text (default: generated from the reference at ``hints``).
    """
    import nbformat

    from nngrade.authoring.template import render_template

    template = template or render_template(hints=hints)
    cells = [nbformat.v4.new_markdown_cell(INTRO.format(name=assignment_name)), nbformat.v4.new_code_cell(SETUP)]
    for module in MODULES:
        helpers, definitions = _definitions(template[module])
        if helpers:
            cells.append(nbformat.v4.new_code_cell("\n\n".join(helpers)))
        for name, code in definitions:
            unit = UNITS.get(name)
            cells.append(nbformat.v4.new_markdown_cell(f"## {name}\n\n{_instructions(code)}".rstrip()))
            cells.append(nbformat.v4.new_code_cell(code, metadata={"nngrade": {"unit": unit[0] if unit else ""}}))
            if unit:
                cells.append(nbformat.v4.new_code_cell(f'check_notebook("{unit[0]}")',
                                                       metadata={"nngrade": {"check": unit[0]}}))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def write_handout(output: Path, assignment_name: str, *, hints: str = "concept") -> Path:
    """Write the handout notebook to ``output`` (atomically)."""
    import nbformat

    from nngrade.engine.fsutil import write_atomically

    write_atomically(Path(output), nbformat.writes(handout_notebook(assignment_name, hints=hints)))
    return Path(output)


def _unit_expression(unit: str) -> str:
    for name, expression in UNITS.values():
        if name == unit:
            return expression
    known = ", ".join(name for name, _ in UNITS.values())
    raise ValueError(f"unknown unit {unit!r}; the units are {known}")


def _current_code(namespace: dict, notebook: str | Path | None) -> Path:
    """A notebook file with the code to check: the cells run so far, else the saved notebook."""
    import nbformat

    history = namespace.get("In")
    if notebook is None and isinstance(history, list) and any(history):
        cells = [nbformat.v4.new_code_cell(source) for source in history if source and source.strip()]
        folder = Path(tempfile.mkdtemp(prefix="nngrade-notebook-"))
        path = folder / "notebook.ipynb"
        path.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=cells)), encoding="utf-8")
        return path
    if notebook is not None:
        return Path(notebook)
    found = sorted(Path.cwd().glob("*.ipynb"))
    if len(found) != 1:
        raise FileNotFoundError("cannot tell which notebook to check: pass check_notebook(unit, notebook=PATH)")
    return found[0]


def check_notebook(unit: str, notebook: str | Path | None = None):
    """Run the public checks of ``unit`` on the notebook's current code and print the result.

    Parameters
    ----------
    unit : str
        A section of the handout: ``sigmoid``, ``softmax``, ``linear``, ``mse``, ``cross_entropy``,
        ``softmax_ce``, ``network`` or ``train``.
    notebook : path, optional
        The notebook file to check. Default: the cells run so far in this kernel (IPython's ``In``),
        else the only notebook in the working folder.

    Returns
    -------
    Report or None
        None when called from code that is being imported (a graded submission), where it does nothing.
    """
    caller = inspect.currentframe().f_back
    namespace = caller.f_globals if caller is not None else {}
    if namespace.get("__name__") != "__main__":
        return None
    return _check_in(namespace, unit, notebook)


def _check_in(namespace: dict, unit: str, notebook):
    """:func:`check_notebook` for the notebook whose globals are ``namespace``."""
    from nngrade.engine.config import load_config
    from nngrade.engine.grading import grade
    from nngrade.engine.selection import was_skipped
    from nngrade.render import FeedbackSettings, render

    expression = _unit_expression(unit)
    config = load_config()
    report = grade(_current_code(namespace, notebook), mode="check", config=config, only=expression)
    text = render(report, "text", student_view=True, settings=FeedbackSettings.from_config(config))
    graded = [c for c in report.checks if not was_skipped(c)]
    verdict = "all passed" if graded and all(c.status == "passed" for c in graded) else "not all passed yet"
    print(text + f"\n\n{unit}: {verdict}", file=sys.stdout)
    return report
