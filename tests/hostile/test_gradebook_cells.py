"""Gradebooks never hold a cell a spreadsheet would run as a formula (nngrade.batch.gradebook).

Submission ids come from file names, which students choose: ``-2-3.py`` or
``-A1.py`` become ids that Excel, LibreOffice and Google Sheets read as
formulas. Every cell of every CSV file the batch writes, headers included,
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return must be
prefixed with ``'``.
"""
from __future__ import annotations

import csv

from nngrade.batch import run_batch

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cells(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def test_no_gradebook_cell_starts_like_a_formula(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for stem in ("-2-3", "-A1", "+1", "@SUM(A1)"):
        (submissions / f"{stem}.py").write_text("def broken(:\n")  # a syntax error: graded without a worker
    canvas = tmp_path / "canvas"
    canvas.mkdir()
    (canvas / "=cmd_101_202_hw.py").write_text("def broken(:\n")
    for folder in (submissions, canvas):
        results = tmp_path / f"results-{folder.name}"
        run_batch(folder, results, jobs=1, progress=False, mnist_dir=tmp_path / "no-mnist")
        written = sorted(results.glob("*.csv"))
        assert {p.name for p in written} >= {"grades.csv", "grades_canvas.csv"}
        for path in written:
            cells = _cells(path)
            assert cells, path
            risky = [cell for cell in cells if cell.startswith(FORMULA_START)]
            assert risky == [], f"{path.name}: {risky}"
    ids = _cells(tmp_path / "results-submissions" / "grades.csv")
    assert {"'-2-3", "'-A1"} <= set(ids)
