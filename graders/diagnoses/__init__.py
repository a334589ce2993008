"""The misconception catalogue: named student bugs recognised from numbers.

When a check fails, :func:`diagnose` runs every detector attached to that
check on the check's observations (the student's numbers and the reference's,
recorded by ``ctx.compare``/``ctx.observe``). A detector never reads source
code; it returns evidence text when the numbers carry the bug's signature.
"""
from __future__ import annotations

from nngrade.diagnoses.catalogue import Entry, diagnose, diagnosis, load_catalogue

__all__ = ["Entry", "diagnose", "diagnosis", "load_catalogue"]
