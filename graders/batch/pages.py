"""HTML pages of a results folder: the class analytics page and per-submission feedback pages.

Every page passes through :func:`~nngrade.render.safe.safe_text` before it is
returned or written, so text in a stored report (a lone surrogate, a control
character) can never stop a page, or the pages of a whole batch, from being written.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from nngrade.batch.analytics import summarize
from nngrade.batch.store import ResultsStore
from nngrade.engine.fsutil import write_atomically
from nngrade.render.html import render_class_page, render_feedback_page
from nngrade.render.safe import safe_text


def class_page(results_dir, *, title: str = "Class report", feedback_links: bool | None = None,
               config: dict | None = None) -> str:
    """The analytics page of ``results_dir`` (links to feedback pages when they exist).

    With ``[similarity] enabled`` (``config``, default the shipped one), the page ends with the most
    similar pairs of submissions whose files are still where the batch found them.

    Raises
    ------
    FileNotFoundError
        When ``results_dir`` holds no valid report (not a results folder of ``nngrade batch``).
    """
    store = ResultsStore(Path(results_dir), create=False)
    reports = list(store.iter_reports())
    if not reports:
        raise FileNotFoundError(f"no valid report in {store.reports}: is {results_dir} the -o folder of "
                                "`nngrade batch`?")
    if feedback_links is None:
        feedback_links = store.feedback.is_dir() and any(store.feedback.glob("*.html"))
    from nngrade.batch.similarity import SimilaritySettings, class_similarity
    from nngrade.render.html import similarity_section

    roster = store.roster()
    settings = SimilaritySettings.from_config(config)
    section = ""
    if settings.enabled:
        pairs, note = class_similarity(roster, settings)
        section = similarity_section(pairs, threshold=settings.threshold, note=note)
    return safe_text(render_class_page(reports, summarize(reports), roster=roster, title=title,
                                       feedback_links=feedback_links, similarity=section))


def student_page(results_dir, ident: str, *, hints: str = "concept") -> str:
    """The feedback page of submission ``ident``.

    Raises
    ------
    FileNotFoundError
        When ``results_dir`` has no report for ``ident``.
    ValueError
        When ``ident`` is not a valid id.
    """
    store = ResultsStore(Path(results_dir), create=False)
    return safe_text(render_feedback_page(store.load_report(ident), hints=hints,
                                          title=page_title(store.roster(), ident)))


def page_title(roster: dict, ident: str) -> str:
    """``"Feedback: <student name>"`` from the roster, the submission id when the name is unknown."""
    name = roster.get(ident, {}).get("student", {}).get("name", "")
    return f"Feedback: {name}" if name else f"Feedback: {ident}"


def _write_page(report: dict, page_path: Path, hints: str, title: str) -> None:
    write_atomically(page_path, safe_text(render_feedback_page(report, hints=hints, title=title)))


def write_feedback_pages(store: ResultsStore, *, jobs: int = 1, reports: list[dict] | None = None,
                         hints: str = "concept") -> int:
    """Write ``feedback/<id>.html`` for every report newer than its page; returns how many.

    With ``jobs > 1`` and enough pages, pages are drawn in ``jobs`` processes
    (plotting is CPU-bound).

    Parameters
    ----------
    store : ResultsStore
        The results folder.
    jobs : int
        Processes drawing pages.
    reports : list of dict, optional
        The store's valid reports when the caller has already read them
        (default: read them from ``store``).
    hints : str
        How much of each fix the pages show (``feedback.hints`` of the configuration).
    """
    todo = []
    roster = store.roster()
    for report in store.iter_reports() if reports is None else reports:
        source = store.report_path(report["submission"]["id"])
        target = store.feedback / f"{report['submission']['id']}.html"
        if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            todo.append((report, target, page_title(roster, report["submission"]["id"])))
    if jobs > 1 and len(todo) > 2 * jobs:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            reports_, targets, titles = zip(*todo)
            list(pool.map(_write_page, reports_, targets, [hints] * len(todo), titles))
    else:
        for report, target, title in todo:
            _write_page(report, target, hints, title)
    return len(todo)
