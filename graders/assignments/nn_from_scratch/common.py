"""What the checks, the diagnoses and the training verification share: variants, steps, names, numbers."""
from __future__ import annotations

from nngrade.checks.compare import format_number

#: The variants of a check that runs on the public and on the hidden fixtures.
BOTH = ("public", "hidden")
#: Step of the central finite differences the checks take of the student's own forward passes.
FD_STEP = 1e-6

__all__ = ["BOTH", "FD_STEP", "format_number", "parameter_name"]


def parameter_name(index: int) -> str:
    """``"b of Linear layer 1"`` for index 3 of ``[W0, b0, W1, b1, ...]``."""
    return f"{'W' if index % 2 == 0 else 'b'} of Linear layer {index // 2}"
