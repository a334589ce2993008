"""Self-contained HTML pages: the class analytics page and per-submission feedback pages.

Pages have no scripts and no external resources: figures are inline base64
PNG, styles are inline, and a Content-Security-Policy forbids everything
else, so even text that escaped escaping could not run. Every piece of text
that comes from a submission or a report goes through :func:`html.escape`, after
control characters and lone surrogates are shown escaped (so a page can always be written).

Feedback pages are student-safe: hidden checks show only their points, and
no data of a hidden check (plots included) is used.
"""
from __future__ import annotations

import html
from typing import Any

from nngrade.render import figures
from nngrade.render._common import STATUS_LABELS, fmt_points, truncate_text
from nngrade.render.safe import safe_text
from nngrade.results import with_hints

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #1f2933; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 2px solid #d9e2ec; padding-bottom: .2em; margin-top: 1.6em; }
table { border-collapse: collapse; width: 100%; font-size: .92em; }
th, td { border-bottom: 1px solid #d9e2ec; padding: .35em .5em; text-align: left; vertical-align: top; }
th { background: #f0f4f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { white-space: pre-wrap; background: #f5f7fa; padding: .5em; margin: .3em 0; font-size: .85em; }
.passed { color: #1c7d3a; font-weight: 600; } .failed, .error, .timeout { color: #b42318; font-weight: 600; }
.not_run { color: #7b8794; font-weight: 600; }
.summary { font-size: 1.2em; background: #f0f4f8; padding: .6em 1em; border-radius: 6px; }
img { max-width: 100%; }
.muted { color: #7b8794; }
table.side td { width: 50%; } mark { background: #ffe08a; }
"""
MAX_MESSAGE_LINES = 40
MAX_OUTPUT_CHARS = 4000


def esc(value: Any) -> str:
    """HTML-escape any value (quotes included), after :func:`~nngrade.render.safe.safe_text`."""
    return html.escape(safe_text(str(value)), quote=True)


def page(title: str, body: str) -> str:
    """A complete HTML document around ``body`` (already escaped)."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n")


def image(b64: str, alt: str) -> str:
    return f'<p><img alt="{esc(alt)}" src="data:image/png;base64,{b64}"></p>'


def _table(header: list[str], rows: list[list[str]], numeric: frozenset[int] = frozenset()) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _status(status: str) -> str:
    return f'<span class="{esc(status)}">{esc(STATUS_LABELS.get(status, status))}</span>'


def pass_rate_groups(checks) -> list[tuple[str, Any, Any]]:
    """``(label, public stats, hidden-twin stats)`` per check, lowest pass rate first.

    A ``*.hidden`` check joins its public twin; either may be None. The label is the check's name
    and id. Ties keep the run order.
    """
    groups: dict[str, list] = {}
    for stats in checks:
        base = stats.id[: -len(".hidden")] if stats.id.endswith(".hidden") else stats.id
        slot = groups.setdefault(base, [None, None])
        slot[1 if stats.id.endswith(".hidden") else 0] = stats
    rows = []
    for base, (public, hidden) in groups.items():
        named = public or hidden
        name = named.name.removesuffix(" (hidden)") if public is None else named.name
        rows.append((f"{name} [{base}]", public, hidden))
    return sorted(rows, key=lambda row: min(s.pass_rate for s in row[1:] if s is not None))


def render_class_page(reports: list[dict], summary, *, roster: dict | None = None, title: str = "Class report",
                      feedback_links: bool = False, similarity: str = "") -> str:
    """The instructor's analytics page for a batch.

    Parameters
    ----------
    reports : list of dict
        Canonical reports, in the order the table lists them.
    summary : nngrade.batch.analytics.ClassSummary
        Aggregates of ``reports``.
    roster : dict, optional
        Student details by id (``{"student": {"name": ...}}``) for the table.
    title : str
        Page title.
    feedback_links : bool
        Link each id to ``feedback/<id>.html``.
    similarity : str
        The "Similar submissions" section (:func:`similarity_section`), placed last; empty for none.
    """
    roster = roster or {}
    parts = [f"<h1>{esc(title)}</h1>",
             f'<p class="summary">{summary.count} submissions; mean {summary.mean:.1f}%, '
             f"median {summary.median:.1f}%; "
             + ", ".join(f"{n} {esc(s.replace('_', ' '))}" for s, n in sorted(summary.statuses.items())) + "</p>"]
    parts.append("<h2>Score distribution</h2>")
    parts.append(image(figures.score_histogram(summary.percents), "histogram of scores")
                 if summary.percents else '<p class="muted">No reports.</p>')
    parts.append("<h2>Pass rate per check</h2>")
    if summary.checks:
        groups = pass_rate_groups(summary.checks)
        parts.append("<p>Lowest pass rate first; a check and its hidden twin (the same check on hidden "
                     "inputs) share a row.</p>")
        parts.append(image(figures.paired_bars([label for label, _, _ in groups],
                                               {"public inputs": [p.pass_rate if p else None for _, p, _ in groups],
                                                "hidden inputs": [h.pass_rate if h else None for _, _, h in groups]},
                                               xlabel="submissions passing (%)"),
                           "pass rate per check, lowest first, public and hidden inputs side by side"))
        ordered = [c for _, public, hidden in groups for c in (public, hidden) if c is not None]
        parts.append(_table(["check", "name", "visibility", "passed", "pass rate", "mean points"],
                            [[esc(c.id), esc(c.name), esc(c.visibility), f"{c.passed}/{c.attempted}",
                              f"{c.pass_rate:.0f}%", f"{c.points / max(c.attempted, 1):.2f} / {fmt_points(c.max_points)}"]
                             for c in ordered], numeric=frozenset({3, 4, 5})))
    parts.append("<h2>Misconceptions across the class</h2>")
    if summary.misconceptions:
        parts.append(image(figures.horizontal_bars([m.title for m in summary.misconceptions],
                                                   [m.submissions for m in summary.misconceptions],
                                                   xlabel="submissions"), "misconception frequency"))
        parts.append(_table(["misconception", "id", "submissions", "diagnosed by"],
                            [[esc(m.title), esc(m.id), str(m.submissions),
                              esc(", ".join(f"{c} ({n})" for c, n in sorted(m.checks.items())))]
                             for m in summary.misconceptions], numeric=frozenset({2})))
    else:
        parts.append('<p class="muted">No misconception was diagnosed.</p>')
    parts.append("<h2>Submissions</h2>")
    rows = []
    # Problem submissions (not loaded, not imported, infrastructure errors) first: they need a look.
    statuses = getattr(summary, "submission_statuses", None) or ["graded"] * len(reports)
    problems_first = sorted(zip(reports, summary.percents, statuses), key=lambda row: row[2] == "graded")
    for report, percent, status in problems_first:
        ident = report["submission"]["id"]
        link = f'<a href="feedback/{esc(ident)}.html">{esc(ident)}</a>' if feedback_links else esc(ident)
        totals = report["totals"]
        counts = ", ".join(f"{totals[s]} {s.replace('_', ' ')}" for s in STATUS_LABELS if totals.get(s))
        problem = report["submission"]["error"] or report["submission"].get("import_error", "")
        if status != "graded":
            problem = f"{status.replace('_', ' ')}: {problem}" if problem else status.replace("_", " ")
        rows.append([link, esc(roster.get(ident, {}).get("student", {}).get("name", "")),
                     f"{fmt_points(totals['score'])} / {fmt_points(totals['max_score'])}", f"{percent:.1f}%",
                     esc(counts), esc(truncate_text(problem, max_lines=2, max_chars=200)) if problem else ""])
    parts.append(_table(["id", "name", "points", "percent", "checks", "loading problem"], rows,
                        numeric=frozenset({2, 3})))
    if similarity:
        parts.append(similarity)
    return page(title, "\n".join(parts))


#: Characters of each submission's code shown beside the other's.
MAX_SIDE_BY_SIDE_CHARS = 6000


def _marked(code: str, ranges: list[tuple[int, int]]) -> str:
    """``code`` escaped, the shared character ranges in ``<mark>``, cut at :data:`MAX_SIDE_BY_SIDE_CHARS`."""
    out, position = [], 0
    for start, end in sorted(ranges):
        start, end = max(start, position), min(end, MAX_SIDE_BY_SIDE_CHARS)
        if start >= end:
            continue
        out += [esc(code[position:start]), f"<mark>{esc(code[start:end])}</mark>"]
        position = end
    out.append(esc(code[position:MAX_SIDE_BY_SIDE_CHARS]))
    if len(code) > MAX_SIDE_BY_SIDE_CHARS:
        out.append("\n[... cut]")
    return "".join(out)


def similarity_section(pairs, *, threshold: float, note: str = "") -> str:
    """The class page's "Similar submissions" section: the most similar pairs, side by side.

    ``pairs`` are :class:`nngrade.batch.similarity.SimilarPair`; shared code is marked. The section
    says that similarity is for a person to judge and changes no score.
    """
    parts = ["<h2>Similar submissions</h2>",
             f'<p class="muted">Pairs whose code overlaps by {threshold:.0%} or more after the student '
             "template is removed (token fingerprints; renamed variables and reordered functions still "
             "match). For a person to judge: similarity changes no score.</p>"]
    if note:
        parts.append(f'<p class="muted">{esc(note)}</p>')
    if not pairs:
        parts.append('<p class="muted">No pair reaches the threshold.</p>')
        return "\n".join(parts)
    parts.append(_table(["first", "second", "similarity", "shared (first, second)"],
                        [[esc(p.first), esc(p.second), f"{p.similarity:.0%}",
                          f"{p.fractions[0]:.0%}, {p.fractions[1]:.0%}"] for p in pairs], numeric=frozenset({2})))
    for p in pairs:
        parts.append(f"<h3>{esc(p.first)} and {esc(p.second)}: {p.similarity:.0%}</h3>"
                     '<table class="side"><tr>'
                     f"<th>{esc(p.first)}</th><th>{esc(p.second)}</th></tr><tr>"
                     f"<td><pre>{_marked(p.code[0], p.slices[0])}</pre></td>"
                     f"<td><pre>{_marked(p.code[1], p.slices[1])}</pre></td></tr></table>")
    return "\n".join(parts)


def public_check(report: dict, check_id: str) -> dict | None:
    for check in report["checks"]:
        if check["id"] == check_id and check["visibility"] == "public":
            return check
    return None


def _check_rows(report: dict, hints: str) -> list[list[str]]:
    rows = []
    for check in report["checks"]:
        points = f"{fmt_points(check['points'])} / {fmt_points(check['max_points'])}"
        if check["visibility"] == "hidden":
            rows.append([esc(check["name"]), '<span class="muted">hidden</span>', points,
                         f"Hidden test: {esc(points)} points"])
            continue
        detail = ""
        message = with_hints(check["message"], hints)
        if message:
            detail += f"<pre>{esc(truncate_text(message, max_lines=MAX_MESSAGE_LINES, max_chars=6000))}</pre>"
        for diagnosis in check["diagnoses"]:
            detail += (f"<p><strong>Likely cause: {esc(diagnosis['title'])}</strong></p>"
                       f"<pre>{esc(with_hints(diagnosis['message'], hints))}</pre>"
                       + (f'<p class="muted">Evidence: {esc(diagnosis["evidence"])}</p>' if diagnosis["evidence"] else ""))
        rows.append([esc(check["name"]), _status(check["status"]), points, detail])
    return rows


def render_feedback_page(report: dict, *, title: str | None = None, assignment=None,
                         hints: str = "concept") -> str:
    """A student-safe feedback page for one canonical report.

    Shows the score, every check (hidden ones as points only), and the
    assignment's own figures (``Assignment.figures``) drawn from the public
    checks' data. ``hints`` is how much of each fix is shown
    (:data:`nngrade.results.HINT_LEVELS`).
    """
    ident = report["submission"]["id"]
    totals = report["totals"]
    title = title or f"Feedback: {ident}"
    parts = [f"<h1>{esc(title)}</h1>",
             f'<p class="summary">Score: {fmt_points(totals["score"])} / {fmt_points(totals["max_score"])} points '
             f"({totals['passed']} checks passed)</p>"]
    if report["submission"]["error"]:
        parts.append(f"<h2>Your submission could not be loaded</h2><pre>{esc(report['submission']['error'])}</pre>")
    if report["submission"]["warnings"]:
        parts.append("<h2>Loader warnings</h2><ul>"
                     + "".join(f"<li>{esc(w)}</li>" for w in report["submission"]["warnings"]) + "</ul>")
    parts.append("<h2>Checks</h2>")
    parts.append(_table(["check", "status", "points", "details"], _check_rows(report, hints), numeric=frozenset({2})))
    parts.extend(_assignment_sections(report, assignment))
    if report.get("output"):
        parts.append("<h2>Printed output</h2><pre>"
                     + esc(truncate_text(report["output"], max_lines=60, max_chars=MAX_OUTPUT_CHARS)) + "</pre>")
    return page(title, "\n".join(parts))


def _assignment_sections(report: dict, assignment) -> list[str]:
    """The assignment's figure sections (``figures_for`` hook), empty when it has none."""
    import importlib

    from nngrade.engine.assignment import assignment_of

    assignment = assignment or assignment_of(None)
    if not assignment.figures:
        return []
    return list(importlib.import_module(assignment.figures).feedback_sections(report))
