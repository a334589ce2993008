"""The class page lists the submissions that were not graded normally first, with the reason."""
from __future__ import annotations

from nngrade.batch.analytics import submission_status, summarize
from nngrade.render.html import render_class_page
from nngrade.results import CheckResult, Report, SubmissionInfo


def report(ident: str, *, error: str = "", import_error: str = "", points: float = 1.0) -> dict:
    info = SubmissionInfo(id=ident, path=f"{ident}.py", kind="py", error=error, import_error=import_error)
    check = CheckResult(id="api.conformance", name="API", group="api", points=points, max_points=1.0,
                        status="passed" if points else "error")
    return Report(submission=info, mode="grade", kit_version="0", fixtures={"version": "1", "manifest_sha256": ""},
                  environment={"python": "3", "numpy": "2", "platform": "p",
                               "sandbox": {"level": "off", "features": {}, "notes": []}},
                  checks=[check]).to_dict()


def test_problem_submissions_come_first_with_their_reason():
    reports = [report("aaa_good"), report("bbb_noimport", import_error="RuntimeError: data file not found", points=0),
               report("ccc_good"), report("ddd_unreadable", error="SyntaxError in ddd.py line 1", points=0)]

    page = render_class_page(reports, summarize(reports))

    assert [submission_status(r) for r in reports] == ["graded", "not_imported", "graded", "not_loaded"]
    table = page[page.index("<h2>Submissions</h2>"):]
    order = [table.index(name) for name in ("bbb_noimport", "ddd_unreadable", "aaa_good", "ccc_good")]
    assert order == sorted(order)
    assert "not imported: RuntimeError: data file not found" in table
    assert "not loaded: SyntaxError in ddd.py line 1" in table
