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


def class_page(results_dir, *, title: str = "Class report", feedback_links: bool | None = None) -> str:
    """The analytics page of ``results_dir`` (links to feedback pages when they exist).

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
    return safe_text(render_class_page(reports, summarize(reports), roster=store.roster(), title=title,
                                       feedback_links=feedback_links))


def student_page(results_dir, ident: str) -> str:
    """The feedback page of submission ``ident``.

    Raises
    ------
    FileNotFoundError
        When ``results_dir`` has no report for ``ident``.
    ValueError
        When ``ident`` is not a valid id.
    """
    store = ResultsStore(Path(results_dir), create=False)
    return safe_text(render_feedback_page(store.load_report(ident)))


def _write_page(report: dict, page_path: Path) -> None:
    write_atomically(page_path, safe_text(render_feedback_page(report)))


def write_feedback_pages(store: ResultsStore, *, jobs: int = 1, reports: list[dict] | None = None) -> int:
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
    """
    todo = []
    for report in store.iter_reports() if reports is None else reports:
        source = store.report_path(report["submission"]["id"])
        target = store.feedback / f"{report['submission']['id']}.html"
        if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            todo.append((report, target))
    if jobs > 1 and len(todo) > 2 * jobs:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            list(pool.map(_write_page, *zip(*todo)))
    else:
        for report, target in todo:
            _write_page(report, target)
    return len(todo)
