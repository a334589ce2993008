"""A late report: its lateness and penalty in every renderer."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from nngrade.batch.lateness import LatePolicy, lateness
from nngrade.render import render_gradescope, render_prairielearn, render_text

DUE = datetime(2026, 3, 1, 23, 59, tzinfo=timezone.utc)
POLICY = LatePolicy(due=DUE.isoformat(), grace_minutes=15, penalty_per_day=0.1, max_penalty=0.25)


def test_a_late_report_carries_lateness_and_penalty(report):
    report.set_lateness(lateness(DUE + timedelta(days=1, hours=2), DUE, POLICY, "gradescope"))
    assert report.lateness["score_after_penalty"] == round(report.score * 0.8, 6)
    assert report.to_dict()["lateness"]["days_late"] == 2
    assert render_gradescope(report)["score"] == report.final_score
    assert render_prairielearn(report)["score"] == round(report.final_score / report.max_score, 6)
    assert "Late: 2 days (gradescope), penalty 20%" in render_text(report)
    assert "penalty 20%" in render_prairielearn(report)["message"]


def test_on_time_report_is_unchanged(report):
    before = render_gradescope(report)
    report.set_lateness(lateness(DUE - timedelta(hours=1), DUE, POLICY, "gradescope"))
    assert report.lateness["late"] is False and report.final_score == report.score
    assert render_gradescope(report) == before
