"""Grade the whole public corpus and print how the diagnosis catalogue does.

Usage::

    python bench/corpus.py [--jobs N]

The mutation corpus: for each broken implementation (``tests/corpus/broken.py``):
was it caught (the expected checks lost points) and diagnosed correctly (the
expected diagnosis on the expected check)? For the reference and each
correct-but-different implementation (``tests/corpus/correct/``): did it score
full marks, and did any diagnosis appear (a false positive)?

The real corpus (``tests/corpus/real/MANIFEST.toml``), reported separately:
correct ports at full marks (apart from their documented deviations), bugs
caught, bugs named with the right unit, and cascaded penalties (a check lost
although it grades none of the port's faulty units; see
``tests/corpus/real_harness.py``).

Exits with status 1 when anything was missed. MNIST is not graded (see
``tests/corpus/harness.py``).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from corpus.broken import BROKEN  # noqa: E402
from corpus.harness import (  # noqa: E402
    all_diagnoses,
    correct_submissions,
    grade_broken,
    grade_quickly,
    judge_broken,
    lost_points,
)
from corpus.real_harness import judge_real, real_ports  # noqa: E402
from submissions import REFERENCE_DIR  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="submissions graded at the same time (default 2)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nngrade-corpus-") as folder, ThreadPoolExecutor(args.jobs) as pool:
        broken = list(pool.map(lambda entry: judge_broken(entry, grade_broken(entry, Path(folder))), BROKEN))
        correct_paths = [REFERENCE_DIR, *correct_submissions()]
        correct = list(pool.map(grade_quickly, correct_paths))
        ports = real_ports()
        real = list(pool.map(lambda port: judge_real(port, grade_quickly(port.path)), ports))

    print("Broken implementations (tests/corpus/broken.py)")
    for verdict in broken:
        print("  " + verdict.line())
    print("\nCorrect implementations (the reference and tests/corpus/correct/)")
    false_positives = 0
    for path, report in zip(correct_paths, correct):
        lost, found = sorted(lost_points(report)), all_diagnoses(report)
        false_positives += len(found)
        status = "full marks" if not lost else f"LOST POINTS on {', '.join(lost)}"
        extra = f"  DIAGNOSED: {', '.join(f'{c}: {d}' for c, d in found)}" if found else ""
        print(f"  {path.stem:<40} {status}{extra}")

    caught = sum(v.caught for v in broken)
    diagnosed = sum(v.diagnosed for v in broken)
    full = sum(not lost_points(r) for r in correct)
    print(f"\nTotals: caught {caught}/{len(broken)}, diagnosed correctly {diagnosed}/{len(broken)}, "
          f"false positives {false_positives} (diagnoses on {len(correct)} correct implementations; "
          f"{full}/{len(correct)} at full marks)")
    mutation_ok = caught == diagnosed == len(broken) and false_positives == 0 and full == len(correct)
    return 0 if mutation_ok and _report_real(real) else 1


def _report_real(real) -> bool:
    """Print the real corpus's section; True when it meets its targets."""
    print("\nReal-code corpus (tests/corpus/real/), correct ports")
    correct = [v for v in real if v.port.correct]
    bugs = [v for v in real if not v.port.correct]
    for verdict in correct:
        print("  " + verdict.line())
    print("\nReal-code corpus, ports with bugs")
    for verdict in bugs:
        print("  " + verdict.line())
    full = sum(v.full_marks for v in correct)
    caught = sum(v.caught for v in bugs)
    named = sum(v.named for v in bugs)
    cascades = sum(len(v.unexplained) for v in bugs)
    print(f"\nReal totals: correct at full marks {full}/{len(correct)}, bugs caught {caught}/{len(bugs)}, "
          f"named with the right unit {named}/{len(bugs)}, cascaded penalties {cascades}")
    return full == len(correct) and caught == len(bugs) and named >= 0.9 * len(bugs) and cascades == 0


if __name__ == "__main__":
    sys.exit(main())
