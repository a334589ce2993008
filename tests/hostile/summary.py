"""Grade the whole hostile corpus and print its totals.

Usage (from the repository root)::

    python tests/hostile/summary.py [--jobs N] [NAME ...]

Prints one line per run (entry, sandbox level, points at stake on the attacked
checks, points earned there, problems) and the totals. Exits with status 1
when any attacked check earned a point or any run had a problem. The MNIST
entries run only when ``NNGRADE_MNIST_DIR`` is set.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(TESTS), str(TESTS.parent)]

from hostile.catalogue import BY_NAME, ENTRIES, mnist_dir, runs  # noqa: E402
from hostile.runner import reference_server, run_entry  # noqa: E402


def _grade(name: str, level: str | None, port: int | None) -> list:
    with tempfile.TemporaryDirectory(prefix="nngrade-hostile-") as folder:
        return run_entry(BY_NAME[name], Path(folder), level=level, port=port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="entries to run (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="runs graded at once (default 2)")
    options = parser.parse_args(argv)
    chosen = [(entry, level) for entry, level in runs() if not options.names or entry.name in options.names]
    skipped = [entry.name for entry, _ in chosen if entry.needs_mnist and mnist_dir() is None]
    chosen = [(entry, level) for entry, level in chosen if entry.name not in skipped]
    started = time.monotonic()
    with reference_server() as port, ProcessPoolExecutor(max_workers=max(options.jobs, 1)) as pool:
        futures = [pool.submit(_grade, entry.name, level, port if entry.server else None) for entry, level in chosen]
        outcomes = [outcome for future in futures for outcome in future.result()]
    print(f"{'entry':<44} {'level':<9} {'at stake':>8} {'earned':>7}  problems")
    for outcome in outcomes:
        print(f"{outcome.entry:<44} {outcome.level:<9} {outcome.attacked_points:>8g} {outcome.unearned:>7g}  "
              f"{len(outcome.problems)}")
        for problem in outcome.problems:
            print(f"    {problem[:400]}")
    unearned = sum(o.unearned for o in outcomes)
    problems = sum(len(o.problems) for o in outcomes)
    names = {o.entry for o in outcomes}
    print(f"\nhostile corpus: {len(ENTRIES)} entries ({len(names)} graded, {len(skipped)} skipped without MNIST: "
          f"{', '.join(skipped) or 'none'}), {len(outcomes)} grading runs, "
          f"{sum(o.attacked_points for o in outcomes):g} attacked points at stake, "
          f"unearned points found: {unearned:g}, problems: {problems} ({time.monotonic() - started:.0f} s)")
    return 1 if unearned or problems else 0


if __name__ == "__main__":
    sys.exit(main())
