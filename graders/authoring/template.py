"""Generate ``student_template/`` from ``reference/``: one source of truth.

Each solution region in a reference module::

    ### BEGIN SOLUTION (TODO: what to compute) (CODE: the formula or code)
    ...code...
    ### END SOLUTION

becomes ``raise NotImplementedError("TODO: ...")`` at the same indentation,
with as much of the text as the hint level allows (the levels of
``feedback.hints``): ``"none"`` says only ``TODO``, ``"concept"`` (the
default) the TODO text, ``"code"`` the TODO text and then the CODE part (which
is optional). Everything outside the regions (signatures, docstrings, helpers)
is copied unchanged. ``nngrade template build`` writes the template;
``nngrade template verify`` (and the test suite) fails when it is stale.
"""
from __future__ import annotations

import re
from pathlib import Path

from nngrade.results import HINT_LEVELS

BEGIN = re.compile(r"^(?P<indent>\s*)### BEGIN SOLUTION(?: \(TODO: (?P<todo>.*?)\)(?: \(CODE: (?P<code>.*)\))?)?\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")

HEADER = (
    "# Generated from reference/{name} by `nngrade template build`: edit the reference, not this file.\n"
)
PACKAGE_DOC = '"""Student template: fill in every function that raises NotImplementedError.'


class TemplateError(ValueError):
    """A malformed solution region in a reference module."""


def todo_text(todo: str, code: str | None, hints: str = "concept") -> str:
    """The student's TODO line for a region at hint level ``hints``."""
    if hints not in HINT_LEVELS:
        raise TemplateError(f"hint level must be one of {HINT_LEVELS}, got {hints!r}")
    if hints == "none":
        return "TODO"
    return f"TODO: {todo}" + (f"; {code}" if hints == "code" and code else "")


def strip_solutions(source: str, name: str = "<source>", hints: str = "concept") -> str:
    """Replace every solution region of ``source`` by a ``NotImplementedError``.

    Parameters
    ----------
    source : str
        Text of a reference module.
    name : str
        File name, used in error messages.
    hints : str, default "concept"
        How much of each region's text the stub says (see :func:`todo_text`).

    Returns
    -------
    str
        The template text.

    Raises
    ------
    TemplateError
        On a nested, unterminated or unopened region, or a region without TODO text.
    """
    out: list[str] = []
    inside = None
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if inside is not None:
                raise TemplateError(f"{name}:{number}: BEGIN SOLUTION inside the region opened at line {inside}")
            if not begin["todo"]:
                raise TemplateError(f"{name}:{number}: BEGIN SOLUTION needs a '(TODO: ...)' text for the student")
            todo = todo_text(begin["todo"], begin["code"], hints).replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'{begin["indent"]}raise NotImplementedError("{todo}")\n')
            inside = number
        elif end:
            if inside is None:
                raise TemplateError(f"{name}:{number}: END SOLUTION without a BEGIN SOLUTION")
            inside = None
        elif inside is None:
            out.append(line)
    if inside is not None:
        raise TemplateError(f"{name}:{inside}: BEGIN SOLUTION is never closed")
    return "".join(out)


def _package_dir(package: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise TemplateError(f"cannot find the {package!r} package")
    return Path(next(iter(spec.submodule_search_locations)))


def render_template(reference_dir: Path | None = None, hints: str = "concept") -> dict[str, str]:
    """Template text for every module of the reference package, TODO texts at hint level ``hints``.

    Returns
    -------
    dict
        File name -> text, e.g. ``{"layers.py": "...", "__init__.py": "..."}``.
    """
    reference_dir = Path(reference_dir) if reference_dir else _package_dir("nngrade.reference")
    files = {}
    for path in sorted(reference_dir.glob("*.py")):
        text = strip_solutions(path.read_text(encoding="utf-8"), path.name, hints)
        if path.name == "__init__.py":
            # The package docstring speaks to the student, not the instructor.
            _, _, rest = text.partition('"""\n')
            text = PACKAGE_DOC + '\n\nRun `nngrade check student_template` (or your own copy) to pre-check it.\n"""\n' + rest.split('"""\n', 1)[-1]
        files[path.name] = HEADER.format(name=path.name) + text
    return files


def build_template(out_dir: Path | None = None, reference_dir: Path | None = None,
                   hints: str = "concept") -> list[Path]:
    """Write the template package, TODO texts at hint level ``hints``; returns the files written."""
    out_dir = Path(out_dir) if out_dir else _package_dir("nngrade.student_template")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_template(reference_dir, hints).items():
        target = out_dir / name
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def stale_template_files(template_dir: Path | None = None, reference_dir: Path | None = None) -> list[str]:
    """Names of template files that differ from what the reference generates (empty = in sync)."""
    template_dir = Path(template_dir) if template_dir else _package_dir("nngrade.student_template")
    expected = render_template(reference_dir)
    stale = [n for n, text in expected.items()
             if not (template_dir / n).exists() or (template_dir / n).read_text(encoding="utf-8") != text]
    extra = [p.name for p in template_dir.glob("*.py") if p.name not in expected]
    return sorted(stale + extra)
