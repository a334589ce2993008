"""Terminal text rendering."""
from __future__ import annotations

import re

from nngrade.render.text import render_text
from nngrade.results import CheckResult, SubmissionInfo

EXPECTED_INSTRUCTOR_VIEW = """\
nngrade 0.1.0 report (mode: grade)
Submission: alice.ipynb (notebook, sha256 abababababab)
Sandbox: bwrap
Score: 2/16 points
Loader warning: dropped 1 IPython magic line: %matplotlib inline
Printed at import time:
  | Loading data...

== api ==
PASS    2/2  Required functions exist [api.functions]
    All 6 required functions found.

== forward ==
FAIL    0/3  Sigmoid forward [forward.sigmoid]
    Called sigmoid(z) on 6 inputs; expected the reference within 1e-6;
    saw max error 0.46.
    >> Likely cause: Sign flipped in the exponent
       You computed 1/(1+exp(z)) instead of 1/(1+exp(-z)).
       Evidence: yours = 1 - reference on 6/6 inputs
    Printed during this check:
      | debug: z shape (6,)

== gradients ==
FAIL    0/2  Dense backward (hidden batch) [gradients.hidden_dense] (hidden)
    Called dense_backward on the hidden batch; expected dW[0,0] = REFERENCE 0.7310585786, saw 0.2689414214.
    >> Likely cause: Gradient sign flipped
       Expected REFERENCE 0.7310585786.
       Evidence: yours = -1.000 x reference on 4/4 entries
    Printed during this check:
      | hidden-batch-print-7f3a
ERROR   0/2  Dense backward [gradients.dense]
    dense_backward raised ValueError: shapes (4,3) and (2,4) not aligned

== xor ==
TIMEOUT 0/3  XOR training converges [xor.converges]
    Training did not finish within 60 s.

== mnist ==
NOT RUN 0/4  MNIST accuracy [mnist.accuracy]
    Skipped: XOR training timed out.

Summary: 2/16 points - 1 passed, 2 failed, 1 error, 1 timeout, 1 not run"""


def test_instructor_view_is_pinned(report):
    assert render_text(report) == EXPECTED_INSTRUCTOR_VIEW


def test_student_view_hides_hidden_details_only(report, sentinel, hidden_print):
    text = render_text(report, student_view=True)
    assert sentinel not in text and "0.7310585786" not in text and hidden_print not in text
    assert "Gradient sign flipped" not in text
    lines = text.splitlines()
    i = lines.index("FAIL    0/2  Dense backward (hidden batch) [gradients.hidden_dense] (hidden)")
    assert lines[i + 1] == "    Hidden test: 0/2 points"
    assert lines[i + 2] == "ERROR   0/2  Dense backward [gradients.dense]"
    # Public diagnoses stay visible to students.
    assert "    >> Likely cause: Sign flipped in the exponent" in lines
    assert lines[-1] == "Summary: 2/16 points - 1 passed, 2 failed, 1 error, 1 timeout, 1 not run"


def test_submission_error_is_at_the_top(report_factory):
    sub = SubmissionInfo(
        id="bob.py", path="bob.py", kind="unknown",
        warnings=["file is not UTF-8; decoded as latin-1"],
        error="SyntaxError: invalid syntax\n  line 3",
    )
    checks = [CheckResult(id="api.functions", name="Required functions exist", group="api",
                          points=0, max_points=2, status="not_run", message="Submission did not load.")]
    text = render_text(report_factory(submission=sub, checks=checks, output=""))
    assert text.splitlines()[:9] == [
        "nngrade 0.1.0 report (mode: grade)",
        "Submission: bob.py (unknown)",
        "Sandbox: bwrap",
        "Score: 0/2 points",
        "Loader warning: file is not UTF-8; decoded as latin-1",
        "Submission error: the submission could not be loaded",
        "    SyntaxError: invalid syntax",
        "      line 3",
        "",
    ]


def test_sandbox_notes_are_listed_only_for_the_instructor_in_verbose_text(report):
    report.environment["sandbox"] = {"level": "rlimits", "features": {}, "notes": ["bwrap not installed"]}
    lines = render_text(report, verbose=True).splitlines()
    assert lines[2:4] == ["Sandbox: rlimits", "  note: bwrap not installed"]
    assert "bwrap not installed" not in render_text(report)
    assert "bwrap not installed" not in render_text(report, student_view=True, verbose=True)


def test_captured_output_is_truncated(report):
    report.checks[1].output = "".join(f"step {i}\n" for i in range(30))
    lines = render_text(report, max_output_lines=5).splitlines()
    start = lines.index("    Printed during this check:")
    assert lines[start + 1 : start + 7] == [
        "      | step 0",
        "      | step 1",
        "      | step 2",
        "      | step 3",
        "      | step 4",
        "      | [... 25 more lines not shown]",
    ]


def test_point_column_aligns_and_formats_fractions(report_factory):
    checks = [
        CheckResult(id="a", name="A", group="g", points=1.5, max_points=10, status="failed"),
        CheckResult(id="b", name="B", group="g", points=1, max_points=1, status="passed"),
    ]
    lines = render_text(report_factory(checks=checks, output="")).splitlines()
    assert "FAIL    1.5/10  A [a]" in lines
    assert "PASS       1/1  B [b]" in lines
    assert lines[-1] == "Summary: 2.5/11 points - 1 passed, 1 failed"


def test_no_checks(report_factory):
    text = render_text(report_factory(checks=[], output=""))
    assert text.endswith("Score: 0/0 points\nLoader warning: dropped 1 IPython magic line: %matplotlib inline\n"
                         "\nNo checks were run.\n\nSummary: 0/0 points - 0 passed")


def test_plain_by_default_colored_on_request(report):
    assert "\x1b[" not in render_text(report)
    colored = render_text(report, color=True)
    assert "\x1b[31mFAIL   \x1b[0m 0/3  Sigmoid forward [forward.sigmoid]" in colored
    assert "\x1b[32mPASS   \x1b[0m 2/2  Required functions exist [api.functions]" in colored
    # Colour changes decoration only, never content.
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == render_text(report)
