"""Similarity across a class: a copy with renamed variables and reordered functions is flagged,
independent correct implementations are not, and no score changes."""
from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from nngrade.batch.pages import class_page
from nngrade.batch.runner import run_batch
from nngrade.batch.similarity import SimilaritySettings, similar_pairs, submission_code, template_code

pytest.importorskip("copydetect", reason="the dev extra installs copydetect")

CORRECT = Path(__file__).resolve().parents[1] / "corpus/correct"


def disguised_copy(source: str) -> str:
    """``source`` with its top-level definitions in reverse order and every assigned name renamed."""
    tree = ast.parse(source)
    head = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
            or (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    tree.body = head + [n for n in tree.body if n not in head][::-1]
    text = ast.unparse(tree)
    stored = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)})
    for i, name in enumerate(stored):
        text = re.sub(rf"\b{name}\b", f"renamed_{i}", text)
    return text


def _codes() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(CORRECT.glob("*.py"))}


def test_copy_is_flagged_and_independent_implementations_are_not():
    codes = _codes()
    assert len(codes) >= 8
    original = codes["xavier_init"]
    copy = disguised_copy(original)
    assert copy != original and "renamed_0" in copy
    pairs = similar_pairs({**codes, "copied": copy}, boilerplate=template_code())
    assert [(p.first, p.second) for p in pairs] == [("copied", "xavier_init")]
    assert pairs[0].similarity >= 0.9 and pairs[0].slices[0] and pairs[0].slices[1]
    assert similar_pairs(codes, boilerplate=template_code()) == []


def test_boilerplate_alone_is_not_similarity():
    template = template_code()
    pairs = similar_pairs({"a": template, "b": template + "\n# mine\n"}, boilerplate=template,
                          settings=SimilaritySettings(threshold=0.01))
    assert pairs == []


def test_notebook_code_is_extracted(tmp_path):
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Layers"),
                                               nbformat.v4.new_code_cell("x = 1"),
                                               nbformat.v4.new_code_cell("y = x + 1")])
    path = tmp_path / "alice.ipynb"
    path.write_text(nbformat.writes(notebook), encoding="utf-8")
    assert submission_code(path) == "x = 1\n\ny = x + 1"
    folder = tmp_path / "bob"
    folder.mkdir()
    shutil.copy(path, folder / "work.ipynb")
    (folder / "extra.py").write_text("z = 3\n", encoding="utf-8")
    assert submission_code(folder) == "z = 3\n\n\nx = 1\n\ny = x + 1"


def test_class_page_shows_the_pair_and_no_score_changes(tmp_path, fast_config, no_mnist):
    submissions, results = tmp_path / "submissions", tmp_path / "results"
    submissions.mkdir()
    codes = _codes()
    (submissions / "ada.py").write_text(codes["xavier_init"], encoding="utf-8")
    (submissions / "bob.py").write_text(disguised_copy(codes["xavier_init"]), encoding="utf-8")
    (submissions / "cy.py").write_text(codes["module_style"], encoding="utf-8")
    run_batch(submissions, results, config_path=fast_config, mnist_dir=no_mnist, jobs=2, progress=False)
    before = {p.name: p.read_bytes() for p in sorted(results.rglob("*")) if p.is_file()}

    page = class_page(results)

    after = {p.name: p.read_bytes() for p in sorted(results.rglob("*")) if p.is_file()}
    assert before == after  # reports and gradebooks untouched
    section = page.split("<h2>Similar submissions</h2>", 1)[1]
    assert "<h3>ada and bob:" in section and "cy" not in section
    assert section.count("<mark>") >= 2
    off = class_page(results, config={"similarity": {"enabled": False}})
    assert "Similar submissions" not in off
