"""Hostile entries against what the grader writes and how long it takes, and against its import policy.

* forged text: ANSI escapes and carriage returns that draw a perfect score over the
  real one, and lone surrogates that make the text writer, the feedback pages and
  ``nngrade report --student`` fail;
* the worker's own helpers made to fail on the submission's objects, which must be
  the submission's fault, never an infrastructure error;
* time: one method that loops forever, and methods slow enough to spend the whole
  grade's budget (``[limits] total_timeout``);
* forbidden imports: a stand-in ``torch`` package (the reference inside), imported
  plainly and in a way no static scan sees.
"""
from __future__ import annotations

import re

from click.testing import CliRunner
from submissions import reference_source

from hostile.kit import (
    EVERYTHING,
    INERT_MAY_PASS,
    SOFTMAX,
    Context,
    Entry,
    dedent,
    reference_with,
    softmax_replaced,
)
from nngrade.batch.gradebook import rebuild_outputs
from nngrade.batch.pages import write_feedback_pages
from nngrade.batch.store import ResultsStore
from nngrade.batch.task import is_infrastructure_failure
from nngrade.cli import main as nngrade
from nngrade.render import render
from nngrade.results import Report

#: What a terminal or a spreadsheet would act on: control characters but tab and newline, and DEL.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: Text that moves the cursor home, clears the screen and draws a perfect score in green.
FORGED_SCORE = "\x1b[2J\x1b[H\x1b[32mScore: 71/71 points\x1b[0m\r\x1b[1A"
FORMATS = ("text", "json", "gradescope", "prairielearn")


def _asserting(after):
    """``after`` with any exception it raises (a writer that crashed) reported as a failed assertion."""
    def checked(ctx: Context, outcome) -> None:
        try:
            after(ctx, outcome)
        except AssertionError:
            raise
        except Exception as exc:  # noqa: BLE001 - the crash is the finding
            raise AssertionError(f"{type(exc).__name__}: {exc}"[:600]) from exc
    return checked


def _renderings(outcome) -> dict[str, str]:
    report = Report.from_dict(outcome.report)
    return {fmt: render(report, fmt) for fmt in FORMATS} | {"student text": render(report, "text", student_view=True)}


def _no_control_characters(ctx: Context, outcome) -> None:
    """No rendering carries a control character the submission printed or raised."""
    texts = [outcome.report["output"]] + [c["message"] + c["output"] for c in outcome.report["checks"]]
    assert any("\x1b" in text or "\\x1b" in text for text in texts), "the escapes never reached the report"
    for fmt, text in _renderings(outcome).items():
        found = CONTROL.findall(text)
        assert found == [], f"{fmt} output carries control characters {sorted(set(found))!r}"


def _everything_writes(ctx: Context, outcome) -> None:
    """Every rendering encodes as UTF-8; the batch's pages and gradebooks and `report --student` are written."""
    assert "\udc80" in repr(outcome.report) or "\\udc80" in repr(outcome.report), "no surrogate reached the report"
    for fmt, text in _renderings(outcome).items():
        text.encode("utf-8")  # raises on a lone surrogate
    results = ctx.root / "results"
    store = ResultsStore(results)
    ident = "surrogates"
    report = dict(outcome.report, submission=dict(outcome.report["submission"], id=ident))
    store.save(ident, report, "key", "0" * 64)
    assert write_feedback_pages(store) == 1
    (results / "feedback" / f"{ident}.html").read_text(encoding="utf-8")
    rebuild_outputs(store, assignment="hostile")
    result = CliRunner().invoke(nngrade, ["report", str(results), "--student", ident, "-o", str(ctx.root / "p.html")])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Feedback" in (ctx.root / "p.html").read_text(encoding="utf-8")


def _gate_says(evidence: str, status: str):
    """The gate check (api.conformance, worth no points) ended ``status`` with ``evidence`` in its message."""
    def after(ctx: Context, outcome) -> None:
        assert not is_infrastructure_failure(outcome.report), [c["message"][:200] for c in outcome.report["checks"]]
        gate = next(c for c in outcome.report["checks"] if c["id"] == "api.conformance")
        assert gate["status"] == status and evidence in gate["message"], (gate["status"], gate["message"][:500])
    return after


def _one_timeout_per_method(ctx: Context, outcome) -> None:
    """The looping method timed out once; the later checks that need it were not run, naming that check."""
    statuses = [c["status"] for c in outcome.report["checks"] if c["id"] in SOFTMAX]
    assert statuses.count("timeout") == 1, statuses
    assert any("not called again" in c["message"] for c in outcome.report["checks"]), statuses


def _budget_spent(ctx: Context, outcome) -> None:
    """Once the budget is spent the remaining checks say so; nothing is blamed on the student for it."""
    spent = [c for c in outcome.report["checks"] if "time budget spent" in c["message"]]
    assert spent, [(c["id"], c["status"]) for c in outcome.report["checks"]]
    assert all(c["status"] == "not_run" for c in spent), [(c["id"], c["status"]) for c in spent]
    assert outcome.report["checks"][-1] in spent  # the last check never started late


def _forged_text(ctx: Context):
    return ctx.write("forged_text.py", softmax_replaced(
        f"print({FORGED_SCORE!r})\nraise ValueError({FORGED_SCORE!r})",
        prelude=f"import sys\nprint({FORGED_SCORE!r})\nsys.stdout.write('\\x9b2J\\x07\\x00')"))


def _surrogates(ctx: Context):
    return ctx.write("surrogates.py", softmax_replaced(
        "raise ValueError('lone surrogate \\udc80 and \\ud800')",
        prelude="import sys\nsys.stdout.flush()\nsys.stdout.buffer.write(b'invalid UTF-8: \\xff\\xfe\\xc3\\n')"))


def _signature_helper_recurses(ctx: Context):
    return ctx.write("signature_recursion.py", reference_with('''
        import sys
        def _forever(target):
            return _forever(target)
        sys.modules["__main__"].safe_signature = _forever
    '''))


LOOP = "import time\nend = time.monotonic() + 600\nwhile time.monotonic() < end:\n    pass"
#: Every Sigmoid, Softmax and Linear forward sleeps before it answers correctly.
SLOW = '''
import time

def _slowly(cls):
    honest = cls.forward
    def forward(self, x):
        time.sleep(0.4)
        return honest(self, x)
    cls.forward = forward

for _cls in (Sigmoid, Softmax, Linear):
    _slowly(_cls)
'''


def _loops_forever(ctx: Context):
    return ctx.write("loops_forever.py", softmax_replaced(LOOP))


def _slow_methods(ctx: Context):
    return ctx.write("slow_methods.py", reference_with(SLOW))


def _stand_in_torch(import_line: str):
    """A package whose ``torch/`` is the reference solution, imported by ``import_line``."""
    def build(ctx: Context):
        folder = ctx.root / f"submission-{ctx.run}" / "uses_torch"
        (folder / "torch").mkdir(parents=True, exist_ok=True)
        (folder / "torch" / "__init__.py").write_text(reference_source())
        (folder / "__init__.py").write_text(dedent(f'''
            import importlib, os, sys
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            {import_line}
        '''))
        return folder
    return build


ENTRIES = [
    Entry("ansi_escapes_draw_a_forged_score", "forgery",
          "print and raise ANSI escapes and carriage returns that clear the screen and draw 'Score: 71/71'",
          _forged_text, SOFTMAX, may_pass=INERT_MAY_PASS, after=_asserting(_no_control_characters)),
    Entry("lone_surrogates_break_the_writers", "forgery",
          "raise messages holding lone surrogates and print invalid UTF-8: text, pages, gradebooks must be written",
          _surrogates, SOFTMAX, may_pass=INERT_MAY_PASS, after=_asserting(_everything_writes)),
    Entry("worker_signature_helper_recurses", "monkeypatch",
          "patch the worker's signature helper to recurse forever: the gate fails, as the submission's fault",
          _signature_helper_recurses, EVERYTHING, honest=(), imports=False, expect=("not_run",),
          after=_gate_says("your code raised RecursionError", "error")),
    Entry("one_method_loops_forever", "resources",
          "Softmax.forward loops (ends by itself after 10 minutes): one timeout, not one per check that calls it",
          _loops_forever, SOFTMAX, may_pass=INERT_MAY_PASS, expect=("timeout", "not_run", "failed"),
          after=_one_timeout_per_method),
    Entry("slow_methods_spend_the_time_budget", "resources",
          "every forward sleeps 0.4 s, then answers correctly: the 4 s budget runs out, the report is complete",
          _slow_methods, (), honest=(), config="budget", imports=False, after=_budget_spent),
    Entry("imports_forbidden_module", "imports",
          "import a stand-in torch package (the reference inside) and use it for everything",
          _stand_in_torch("from torch import *"), EVERYTHING, honest=(), imports=False,
          expect=("not_run",), after=_gate_says("imports torch (__init__.py, line 3), which this assignment forbids",
                                                "failed")),
    Entry("imports_forbidden_module_unseen", "imports",
          "import the stand-in torch by a computed name, which no static scan sees",
          _stand_in_torch("globals().update(vars(importlib.import_module(''.join(['to', 'rch']))))"),
          EVERYTHING, honest=(), imports=False, expect=("not_run",),
          after=_gate_says("import of 'torch' refused: this assignment forbids torch", "error")),
]
