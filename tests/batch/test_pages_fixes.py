"""The class page's pass-rate chart (sorted, labelled, twins grouped) and the feedback page's title."""
from __future__ import annotations

from nngrade.batch.analytics import summarize
from nngrade.batch.pages import page_title
from nngrade.render.html import pass_rate_groups, render_class_page


def _report(ident: str, passed: set[str]) -> dict:
    checks = []
    for cid, name, visibility in (("forward.sigmoid", "Sigmoid forward", "public"),
                                  ("forward.sigmoid.hidden", "Sigmoid forward (hidden)", "hidden"),
                                  ("xor.mse", "XOR with MSE", "public"),
                                  ("mnist.accuracy.hidden", "MNIST (hidden)", "hidden")):
        ok = cid in passed
        checks.append({"id": cid, "name": name, "group": cid.split(".")[0], "visibility": visibility,
                       "points": 1.0 if ok else 0.0, "max_points": 1.0, "status": "passed" if ok else "failed",
                       "message": "", "output": "", "duration": 0.0, "diagnoses": [], "data": {}})
    score = float(len(passed))
    return {"submission": {"id": ident, "path": "", "kind": "py", "sha256": "", "warnings": [], "error": "",
                           "import_error": ""},
            "checks": checks, "totals": {"score": score, "max_score": 4.0, "passed": len(passed), "failed": 4 - len(passed),
                                         "error": 0, "timeout": 0, "not_run": 0}}


REPORTS = [_report("a", {"forward.sigmoid", "forward.sigmoid.hidden", "xor.mse"}),
           _report("b", {"forward.sigmoid", "xor.mse"}),
           _report("c", {"forward.sigmoid"})]


def test_twins_share_a_row_and_the_hardest_come_first():
    groups = pass_rate_groups(summarize(REPORTS).checks)
    labels = [label for label, _, _ in groups]
    assert labels == ["MNIST [mnist.accuracy]", "Sigmoid forward [forward.sigmoid]", "XOR with MSE [xor.mse]"]
    _, public, hidden = groups[1]
    assert (public.id, round(public.pass_rate), hidden.id, round(hidden.pass_rate)) == \
        ("forward.sigmoid", 100, "forward.sigmoid.hidden", 33)
    assert groups[0][1] is None  # a hidden check without a public twin


def test_class_page_table_follows_the_chart_order():
    page = render_class_page(REPORTS, summarize(REPORTS))
    table = page.split("<h2>Pass rate per check</h2>", 1)[1].split("<h2>", 1)[0]
    order = [cid for cid in ("mnist.accuracy.hidden", "forward.sigmoid", "forward.sigmoid.hidden", "xor.mse")]
    positions = [table.index(f"<td>{cid}</td>") for cid in order]
    assert positions == sorted(positions)
    assert "Lowest pass rate first" in page


def test_feedback_title_is_the_students_name():
    roster = {"101": {"student": {"name": "Ada Lovelace"}}, "alice": {"student": {"name": ""}}}
    assert page_title(roster, "101") == "Feedback: Ada Lovelace"
    assert page_title(roster, "alice") == "Feedback: alice"
    assert page_title({}, "zed") == "Feedback: zed"
