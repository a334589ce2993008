"""Turn a Jupyter notebook into one importable module, without running any of it.

The code cells are written, converted, to ``nngrade_submission.cells.json``, which the
sandboxed worker runs cell by cell (``nngrade.sandbox.inside.cells``), and, for reading,
concatenated in order into ``nngrade_submission.py``; each
cell starts with a marker comment ``# %% nngrade cell N`` (N counts every
cell of the notebook, markdown included, from 1) so that a line of the module
can be mapped back to its cell with :func:`locate_notebook_line`. Markdown and
raw cells are ignored.

IPython-only syntax is dropped and listed in the warnings, never run:

* a cell whose first non-blank line starts with ``%%`` (a cell magic) is dropped whole,
  except ``%%time`` and ``%%capture``, whose body runs as ordinary Python in
  Jupyter: only their magic line is dropped;
* a line starting with ``!`` (shell command) or ``%`` (line magic), after indentation;
* an assignment from one, such as ``files = !ls`` or ``t = %timeit -o f()``;
* a help query such as ``np.dot?`` or ``?np.dot``;
* a statement that is just a ``get_ipython()...`` call (what exported notebooks
  contain for magics). Any other use of ``get_ipython`` is kept and warned about,
  since it raises ``NameError`` when graded.

Lines inside multi-line strings, open brackets or backslash continuations are
never dropped (``"%d" \\n % x`` stays). A dropped line becomes
``pass  # nngrade dropped: ...`` at the same indentation, so line numbers within a
cell are unchanged and an emptied block stays valid.
"""
from __future__ import annotations

import ast
import json
import re
import time
import warnings as warnings_module
from typing import TYPE_CHECKING

from .common import SubmissionError, format_syntax_error

if TYPE_CHECKING:
    import nbformat

CELL_MARKER = "# %% nngrade cell {}"
#: Beside ``nngrade_submission.py``: the converted cells the worker runs one by one.
CELLS_SUFFIX = ".cells.json"
_MARKER_RE = re.compile(r"^# %% nngrade cell (\d+)$")
_LINE_SPLIT_RE = re.compile(r"\r\n|\r|\n")
_ASSIGN_RE = re.compile(
    r"^[A-Za-z_][\w.]*(\[[^\]]*\])?(\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*([!%])"
)
_HELP_RE = re.compile(r"^(\?{1,2}\s*[A-Za-z_][\w.]*|[A-Za-z_][\w.]*\?{1,2})$")
_SHOWN_CHARS = 80
#: Seconds the conversion of one notebook may take before it is refused (a guard; it is linear).
CONVERSION_BUDGET = 20.0
#: Cell magics whose body runs as ordinary Python in the notebook's namespace.
PYTHON_BODY_CELL_MAGICS = ("time", "capture")


def _shown(text: str) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text.strip())
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def locate_notebook_line(module_source: str, lineno: int) -> tuple[int, int] | None:
    """Map a line of a module converted from a notebook back to ``(cell, line)``.

    Parameters
    ----------
    module_source : str
        Text of the generated ``nngrade_submission.py``.
    lineno : int
        1-based line number in that text, e.g. from a traceback.

    Returns
    -------
    tuple of int or None
        Cell number (1-based, all cells counted) and 1-based line within the cell,
        or None when the line is not inside a cell.
    """
    lines = module_source.splitlines()
    if not 1 <= lineno <= len(lines):
        return None
    for index in range(lineno - 1, -1, -1):
        match = _MARKER_RE.match(lines[index])
        if match:
            offset = lineno - 1 - index
            return (int(match.group(1)), offset) if offset >= 1 else None
    return None


class _OpenConstructs:
    """Tracks, line by line, whether kept code is inside a string, a bracket or a continuation.

    Each line is scanned once, so a cell is classified in time linear in its size.

    NOTE: re-tokenising everything kept so far before each candidate line (what
    :mod:`tokenize` would need, since IPython lines are not Python) is quadratic: a
    200 KB notebook of shell lines took minutes.
    """

    def __init__(self) -> None:
        self.quote = ""  # delimiter of the open string, empty outside strings
        self.depth = 0  # open brackets
        self.continued = False

    @property
    def fresh(self) -> bool:
        """True when the next line starts a new statement."""
        return not (self.quote or self.depth or self.continued)

    def feed(self, line: str) -> None:
        """Advance the state past one kept line."""
        self.continued = False
        i, n = 0, len(line)
        while i < n:
            if self.quote:
                end = self._string_end(line, i)
                if end < 0:
                    if len(self.quote) == 1 and not line.endswith("\\"):
                        self.quote = ""  # an unterminated one-line string: Python refuses it anyway
                    return
                i, self.quote = end, ""
                continue
            char = line[i]
            if char == "#":
                return
            if char in "'\"":
                triple = line[i:i + 3]
                self.quote = triple if triple in ("'''", '"""') else char
                i += len(self.quote)
            elif char in "([{":
                self.depth += 1
                i += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
                i += 1
            elif char == "\\" and i == n - 1:
                self.continued = True
                i += 1
            else:
                i += 1

    def _string_end(self, line: str, i: int) -> int:
        """Index just past the closing delimiter of the open string, or -1 when it stays open."""
        quote = self.quote
        while i < len(line):
            if line[i] == "\\":
                i += 2
            elif line.startswith(quote, i):
                return i + len(quote)
            else:
                i += 1
        return -1


def _classify(stripped: str) -> str | None:
    """Name the IPython construct on a line that starts a statement, or None for Python."""
    if stripped.startswith("!"):
        return "shell command"
    if stripped.startswith("%"):
        return "line magic"
    match = _ASSIGN_RE.match(stripped)
    if match:
        return "shell assignment" if match.group(3) == "!" else "magic assignment"
    if _HELP_RE.match(stripped):
        return "help query"
    return None


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _drop_escapes(lines: list[str], cell: int, warnings: list[str]) -> list[str]:
    kept: list[str] = []
    state = _OpenConstructs()
    continuing = False
    for number, line in enumerate(lines, start=1):
        if continuing:
            kept.append(f"{_indent(line)}# nngrade dropped (continued): {_shown(line)}")
            continuing = line.rstrip().endswith("\\")
            continue
        what = _classify(line.strip()) if line.strip() else None
        if what and state.fresh:
            warnings.append(f"cell {cell}, line {number}: dropped {what} `{_shown(line)}`")
            kept.append(f"{_indent(line)}pass  # nngrade dropped: {_shown(line)}")
            continuing = line.rstrip().endswith("\\")
        else:
            kept.append(line)
            state.feed(line)
    return kept


def _is_get_ipython_call(node: ast.AST) -> bool:
    while isinstance(node, (ast.Call, ast.Attribute)):
        inner = node.func if isinstance(node, ast.Call) else node.value
        if isinstance(node, ast.Call) and isinstance(inner, ast.Name) and inner.id == "get_ipython":
            return True
        node = inner
    return False


def _drop_get_ipython(lines: list[str], cell: int, warnings: list[str]) -> list[str]:
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError):
        return lines
    lines = list(lines)
    handled_rows: set[int] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Expr) and _is_get_ipython_call(node.value)):
            continue
        first, last = node.lineno, node.end_lineno or node.lineno
        # ast column offsets count UTF-8 bytes
        before = lines[first - 1].encode("utf-8")[: node.col_offset].decode("utf-8", "replace")
        after = lines[last - 1].encode("utf-8")[node.end_col_offset or 0 :].decode("utf-8", "replace")
        if before.strip() or (after.strip() and not after.strip().startswith("#")):
            continue
        warnings.append(f"cell {cell}, line {first}: dropped IPython call `{_shown(lines[first - 1])}`")
        indent = _indent(lines[first - 1])
        lines[first - 1] = f"{indent}pass  # nngrade dropped: {_shown(lines[first - 1])}"
        for row in range(first + 1, last + 1):
            lines[row - 1] = f"{indent}# nngrade dropped (continued): {_shown(lines[row - 1])}"
        handled_rows.update(range(first, last + 1))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "get_ipython" and node.lineno not in handled_rows:
            warnings.append(
                f"cell {cell}, line {node.lineno}: `get_ipython` does not exist when graded; "
                f"`{_shown(lines[node.lineno - 1])}` will raise NameError if it runs"
            )
            handled_rows.add(node.lineno)
    return lines


def convert_cell(source: str, cell: int, warnings: list[str]) -> list[str]:
    """Convert the source of one code cell into module lines (see the module rules).

    Parameters
    ----------
    source : str
        The cell's source.
    cell : int
        Cell number used in warnings.
    warnings : list of str
        Receives one note per dropped construct.

    Returns
    -------
    list of str
        One output line per source line, or a single comment line for a dropped cell magic.
    """
    lines = _LINE_SPLIT_RE.split(source)
    if lines and lines[-1] == "":
        lines.pop()
    first_row = next((row for row, line in enumerate(lines) if line.strip()), None)
    first = lines[first_row].strip() if first_row is not None else ""
    if first.startswith("%%"):
        magic = (first[2:].split() or [""])[0]
        if magic not in PYTHON_BODY_CELL_MAGICS:
            warnings.append(
                f"cell {cell}: dropped cell magic `{_shown(first)}` (whole cell, {len(lines)} lines)"
            )
            return [f"# nngrade dropped the whole cell: cell magic {_shown(first)}"]
        warnings.append(
            f"cell {cell}, line {first_row + 1}: dropped cell magic `{_shown(first)}`; "
            "the rest of the cell is kept as Python"
        )
        head = lines[: first_row] + [f"pass  # nngrade dropped: {_shown(first)}"]
        rest = _drop_escapes(head + lines[first_row + 1 :], cell, warnings)
        return _drop_get_ipython(rest, cell, warnings)
    return _drop_get_ipython(_drop_escapes(lines, cell, warnings), cell, warnings)


def _path_text(path: list) -> str:
    """``["cells", 3, "source"]`` -> ``"cell 4, field source"``; others joined by dots."""
    if len(path) >= 2 and path[0] == "cells" and isinstance(path[1], int):
        rest = ".".join(str(part) for part in path[2:])
        return f"cell {path[1] + 1}" + (f", field {rest}" if rest else "")
    return ".".join(str(part) for part in path)


def read_notebook(data: bytes, display: str) -> nbformat.NotebookNode:
    """Parse and validate notebook bytes as nbformat 4.

    Raises
    ------
    SubmissionError
        With a one-sentence summary when the bytes are not UTF-8, not JSON or not a
        valid notebook.
    """
    def fail(reason: str) -> SubmissionError:
        return SubmissionError(f"notebook {display} {reason}", kind="notebook")

    if not data.strip():
        raise fail("is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"is not valid UTF-8 text (byte {exc.start})") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(
            f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "was it saved completely?"
        ) from None
    except RecursionError:
        raise fail("is not valid JSON (nested too deeply)") from None
    if not isinstance(raw, dict):
        raise fail(f"is not a valid notebook: its JSON is a {type(raw).__name__}, not an object")
    import nbformat  # imported on use: with jsonschema it takes longer to load than the grader itself

    with warnings_module.catch_warnings():
        warnings_module.simplefilter("ignore")
        try:
            notebook = nbformat.convert(nbformat.reader.reads(text), 4)
            nbformat.validate(notebook)
        except nbformat.ValidationError as exc:
            message = _shown(str(getattr(exc, "message", exc)).splitlines()[0])
            where = _path_text(list(getattr(exc, "absolute_path", []) or []))
            raise fail(f"is not a valid notebook: {message}" + (f" (in {where})" if where else "")) from None
        except Exception as exc:  # nbformat fails on malformed input in many ways
            reason = _shown(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            raise fail(f"is not a valid notebook: {reason}") from None
    return notebook


def notebook_to_module(data: bytes, display: str, warnings: list[str], cells: list[dict] | None = None) -> str:
    """Convert notebook bytes into the text of ``nngrade_submission.py``.

    Parameters
    ----------
    data : bytes
        The ``.ipynb`` file content.
    display : str
        Notebook name in messages, e.g. ``"hw.ipynb"``.
    warnings : list of str
        Receives one note per dropped magic or shell line.
    cells : list of dict, optional
        Receives ``{"cell": N, "source": converted text}`` per code cell, what the worker
        runs cell by cell (see ``nngrade.sandbox.inside.cells``).

    Returns
    -------
    str
        Every converted cell after its marker, for reading (cells are run one by one,
        so a ``from __future__`` line may head any cell).

    Raises
    ------
    SubmissionError
        For unreadable notebooks, notebooks without code, and syntax errors (named by
        cell and line).
    """
    notebook = read_notebook(data, display)
    safe_name = _shown(display)
    out = [
        f"# Generated by nngrade from {safe_name}: its code cells in order.",
        "# IPython magics and shell commands were dropped, never run (see the loader warnings).",
    ]
    has_code = False
    deadline = time.monotonic() + CONVERSION_BUDGET
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        if time.monotonic() > deadline:
            raise SubmissionError(
                f"notebook {display} took longer than {CONVERSION_BUDGET:g} s to read (stopped at cell "
                f"{number}); remove very long cells or outputs and submit again", kind="notebook")
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        converted = convert_cell(source, number, warnings)
        has_code = has_code or any(
            line.strip() and not line.lstrip().startswith(("#", "pass  # nngrade")) for line in converted
        )
        text = "\n".join(converted) + "\n"
        _syntax_check_cell(text, display, number)
        out += ["", CELL_MARKER.format(number), *converted]
        if cells is not None:
            cells.append({"cell": number, "source": text})
    if not has_code:
        raise SubmissionError(f"notebook {display} has no Python code in its code cells", kind="notebook")
    return "\n".join(out) + "\n"


def _syntax_check_cell(text: str, display: str, number: int) -> None:
    if "\0" in text:
        raise SubmissionError(f"SyntaxError in {display}: a code cell contains a null character", kind="notebook")
    try:
        ast.parse(text, filename=display)
    except SyntaxError as exc:
        raise SubmissionError(format_syntax_error(exc, f"{display} cell {number}, line {exc.lineno}"),
                              kind="notebook") from None
    except (RecursionError, MemoryError):
        raise SubmissionError(f"{display} is too deeply nested to be parsed", kind="notebook") from None


def describe_cell_reports(reports: object, notebook: str) -> list[str]:
    """Warnings for the cells the worker could not run to the end (from its hello reply).

    Parameters
    ----------
    reports : object
        The worker's ``cells`` list: ``{"cell", "line", "status", "message"}`` dicts; anything
        malformed is ignored (it comes from the sandbox).
    notebook : str
        The notebook's name.

    Returns
    -------
    list of str
        One sentence per cell, e.g. ``"hw.ipynb cell 4, line 2: NameError: ...; the cell was
        skipped and the later cells still ran"``.
    """
    lines = []
    for item in reports if isinstance(reports, list) else []:
        if not isinstance(item, dict) or type(item.get("cell")) is not int or type(item.get("line")) is not int:
            continue
        message, status = item.get("message"), item.get("status")
        if not isinstance(message, str) or status not in ("error", "timeout", "not_run"):
            continue
        where = f"{notebook} cell {item['cell']}" + (f", line {item['line']}" if item["line"] > 0 else "")
        outcome = {"error": "the cell was skipped and the later cells still ran",
                   "timeout": "the later cells still ran", "not_run": ""}[status]
        head, _, rest = message[:4000].partition("\n")
        lines.append(f"{where}: {head}" + (f"; {outcome}" if outcome else "") + (f"\n{rest}" if rest else ""))
    return lines
