"""Hint levels: with hints = "concept" no student-visible output carries a line of the reference's code.

A "line of the reference's code" is a statement of ``reference/*.py`` that the
student template does not already hand out, or the right-hand side of such an
assignment or ``return`` (whitespace ignored), when it has an operator or a call.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from corpus.broken import BROKEN
from corpus.harness import FAST_CONFIG, grade_broken

from nngrade.diagnoses import load_catalogue
from nngrade.render import FeedbackSettings, render, render_gradescope, render_prairielearn
from nngrade.render.html import render_feedback_page
from nngrade.results import HINT_LEVELS, CheckResult, Diagnosis, Report, SubmissionInfo, fix_text, with_hints

ROOT = Path(__file__).resolve().parents[2]
CODE_HINT = re.compile(r"[()\[\]@*/+\-]")


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _reference_code_lines() -> set[str]:
    handed_out = {line.strip() for path in (ROOT / "student_template").glob("*.py")
                  for line in path.read_text(encoding="utf-8").splitlines()}
    found = set()
    for path in sorted((ROOT / "reference").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        docstrings = set()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node):
                docstrings |= set(range(node.body[0].lineno, node.body[0].end_lineno + 1))
        for number, line in enumerate(source.splitlines(), start=1):
            code = line.split("#")[0].strip().rstrip(":")
            if not code or number in docstrings or line.strip() in handed_out:
                continue
            parts = [code]
            match = re.match(r"(?:return\s+|[\w.\[\]]+\s*[-+*/]?=\s*)(.+)$", code)
            if match:
                parts.append(match.group(1))
            found |= {_squeeze(p) for p in parts if len(_squeeze(p)) >= 12 and CODE_HINT.search(p)}
    return found


REFERENCE_LINES = _reference_code_lines()


def leaked(text: str, own_source: str = "") -> list[str]:
    """The reference lines that ``text`` contains (whitespace ignored).

    Lines the submission itself contains (``own_source``) are left out: a
    traceback quotes the student's own code, and the planted-bug submissions
    are the reference with one bug.
    """
    squeezed, own = _squeeze(text), _squeeze(own_source)
    return sorted(line for line in REFERENCE_LINES if line in squeezed and line not in own)


def test_the_reference_lines_are_found():
    assert "returns*(g-np.sum(g*s,axis=1,keepdims=True))" in REFERENCE_LINES
    assert "param-=lr*grad" in REFERENCE_LINES
    assert "rng.permutation(n)" in REFERENCE_LINES
    assert "defforward(self,x)" not in REFERENCE_LINES  # the template hands the signatures out
    assert leaked("Fix: return s * (g - np.sum(g * s, axis=1, keepdims=True))")


@pytest.mark.parametrize("level, expected", [
    ("code", "Called f.\nSaw x. Fix: think.\nFix (code): y = 1"),
    ("concept", "Called f.\nSaw x. Fix: think."),
    ("none", "Called f.\nSaw x."),
])
def test_with_hints_cuts_the_parts(level, expected):
    assert with_hints("Called f.\nSaw x. Fix: think.\nFix (code): y = 1", level) == expected


def test_fix_text_and_unknown_level():
    assert fix_text("rule", "code()") == "Fix: rule\nFix (code): code()"
    assert fix_text("rule") == "Fix: rule"
    with pytest.raises(ValueError, match="hint level"):
        with_hints("x", "all")


def _catalogue_report() -> Report:
    checks = [CheckResult(id=f"c{i}", name=entry.title, group="g", points=0, max_points=1, status="failed",
                          message="Called it.\n" + fix_text("rule", "code"),
                          diagnoses=[Diagnosis(id=entry.id, title=entry.title, message=entry.message,
                                               evidence="e")])
              for i, entry in enumerate(load_catalogue())]
    return Report(submission=SubmissionInfo(id="s", path="s.py", kind="py"), mode="grade", kit_version="0",
                  fixtures={}, environment={}, checks=checks)


def _student_outputs(report: Report, hints: str) -> dict[str, str]:
    settings = FeedbackSettings(hints=hints)
    return {
        "check": render(report, "text", student_view=True, settings=settings),
        "gradescope": json.dumps(render_gradescope(report, settings=settings)),
        "prairielearn": json.dumps(render_prairielearn(report, settings=settings)),
        "feedback page": render_feedback_page(report.to_dict(), hints=hints),
    }


def test_no_catalogue_fix_shows_reference_code_at_concept_level():
    report = _catalogue_report()
    for where, text in _student_outputs(report, "concept").items():
        assert leaked(text) == [], where
    # The same messages do carry reference code at level "code" and in the instructor's report.
    assert leaked(_student_outputs(report, "code")["gradescope"])
    assert leaked(json.dumps(report.to_dict()))


def _check_fix_texts() -> list[str]:
    """Every fix written in the assignment's checks: ``fix=`` arguments and literal ``Fix:`` texts."""
    texts = []
    for path in sorted((ROOT / "graders/assignments/nn_from_scratch/checks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "fix":
                try:
                    value = ast.literal_eval(node.value)
                except ValueError:
                    continue  # a variable passed on; its literal is found where it is written
                texts.append(fix_text(value) if isinstance(value, str) else fix_text(*value))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "Fix" in node.value:
                texts.append(node.value)
    return texts


def test_no_check_fix_shows_reference_code_at_concept_level():
    texts = _check_fix_texts()
    assert len(texts) >= 15
    for text in texts:
        assert leaked(with_hints(text, "concept")) == [], text
    assert any(leaked(text) for text in texts)  # the code parts hold reference lines


#: Planted bugs whose fixes hold reference code in their code parts; True where that code is a line
#: the planted-bug submission itself lacks (so the instructor's report must show it).
END_TO_END = {"softmax_backward_diagonal": True, "step_adds": True, "softmax_shifts_its_input": False}


@pytest.mark.parametrize("name", END_TO_END)
def test_graded_submission_shows_no_reference_code_to_students(name, tmp_path):
    broken = next(b for b in BROKEN if b.name == name)
    report = grade_broken(broken, tmp_path, config_path=FAST_CONFIG)
    own = (tmp_path / f"{name}.py").read_text(encoding="utf-8")
    for where, text in _student_outputs(report, "concept").items():
        assert leaked(text, own) == [], where
    for where, text in _student_outputs(report, "none").items():
        words = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)  # figures are not text
        assert "Fix" not in words.replace("Fixing", ""), where
    if not END_TO_END[name]:
        return
    assert leaked(render(report, "json"), own), "the instructor's report keeps the full fix"
    assert leaked(render(report, "text"), own), "the instructor's text keeps the full fix"
    assert leaked(_student_outputs(report, "code")["gradescope"], own), "hint level code shows the code part"


def test_every_level_is_accepted_by_the_settings():
    for level in HINT_LEVELS:
        assert FeedbackSettings(hints=level).hints == level
    with pytest.raises(ValueError, match="feedback.hints"):
        FeedbackSettings(hints="full")
