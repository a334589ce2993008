"""Test-wide set-up: the suite is hermetic.

No test reads or writes the user's real cache: one ``XDG_CACHE_HOME`` (a fresh
temporary folder) is set for the whole run before anything of nngrade is
imported, and inherited by every subprocess and worker the tests start.
"""
import os
import sys
import tempfile
from pathlib import Path

# Make tests/submissions.py importable as `submissions` from every test folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))

if "NNGRADE_TEST_CACHE" not in os.environ:  # one folder per run, shared by the xdist workers
    os.environ["NNGRADE_TEST_CACHE"] = tempfile.mkdtemp(prefix="nngrade-test-cache-")
os.environ["XDG_CACHE_HOME"] = os.environ["NNGRADE_TEST_CACHE"]
