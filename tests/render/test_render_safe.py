"""Every renderer writes only safe text (nngrade.render.safe): no control character, no lone surrogate."""
from __future__ import annotations

import json
import re

import pytest

from nngrade.batch.pages import student_page, write_feedback_pages
from nngrade.batch.store import ResultsStore
from nngrade.render import render, report_dict
from nngrade.render.safe import safe_text
from nngrade.results import CheckResult, Diagnosis, Report, SubmissionInfo

HOSTILE = "\x1b[2J\x1b[HScore: 71/71\r\x9b1A\x00\x07\u202etxet\u2066 \udc80\ud800 caf\u00e9 \u4e2d \U0001f600"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
SGR = re.compile(r"\x1b\[[0-9;]*m")


def hostile_report() -> Report:
    check = CheckResult(id="forward.x", name=HOSTILE, group="forward", points=0, max_points=1, status="error",
                        message=HOSTILE, output=HOSTILE,
                        diagnoses=[Diagnosis(id="d", title=HOSTILE, message=HOSTILE, evidence=HOSTILE)],
                        data={HOSTILE: [HOSTILE]})
    hidden = CheckResult(id="forward.x.hidden", name="hidden", group="forward", points=0, max_points=1,
                         status="failed", visibility="hidden", message=HOSTILE, output=HOSTILE)
    return Report(submission=SubmissionInfo(id=HOSTILE, path=HOSTILE, warnings=[HOSTILE], error=""),
                  mode="grade", kit_version="0", fixtures={"version": "1", "manifest_sha256": ""},
                  environment={"python": "3", "numpy": "2", "platform": HOSTILE,
                               "sandbox": {"level": "bwrap", "features": {}, "notes": [HOSTILE]}},
                  checks=[check, hidden],
                  output=HOSTILE)


def test_safe_text_escapes_what_terminals_act_on_and_keeps_the_rest():
    text = safe_text(HOSTILE + "\n\ttab\r\nline")
    assert CONTROL.findall(text) == []
    assert "\\x1b[2J" in text and "\\x0d" in text and "\\x9b" in text and "\\u202e" in text and "\\udc80" in text
    assert "caf\u00e9 \u4e2d \U0001f600" in text and "\n\ttab\nline" in text
    assert safe_text(text) == text
    text.encode("utf-8")
    assert safe_text("plain text\n") == "plain text\n"


@pytest.mark.parametrize("fmt", ["text", "json", "gradescope", "prairielearn"])
@pytest.mark.parametrize("student_view", [False, True])
def test_every_format_is_safe_and_encodable(fmt, student_view):
    text = render(hostile_report(), fmt, student_view=student_view)
    text.encode("utf-8")
    values = [text] if fmt == "text" else [json.dumps(json.loads(text), ensure_ascii=False)]
    assert CONTROL.findall(values[0]) == []


def test_colours_are_the_only_escape_sequences():
    from nngrade.render.text import render_text

    text = render_text(hostile_report(), color=True)
    assert CONTROL.findall(SGR.sub("", text)) == []
    assert SGR.search(text)


def test_a_stored_report_with_raw_surrogates_still_gets_its_pages(tmp_path):
    """Reports written before text was made safe may hold lone surrogates: pages are written anyway."""
    store = ResultsStore(tmp_path / "results")
    report = report_dict(hostile_report())
    report["submission"]["id"] = "old"
    report["checks"][0]["message"] = HOSTILE  # raw, as an older version stored it
    report["submission"]["warnings"] = [HOSTILE]
    store.save("old", report, "key", "0" * 64)
    assert write_feedback_pages(store) == 1
    page = (tmp_path / "results" / "feedback" / "old.html").read_text(encoding="utf-8")
    assert CONTROL.findall(page) == [] and "\\udc80" in page
    assert CONTROL.findall(student_page(tmp_path / "results", "old")) == []
