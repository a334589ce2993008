import sys
from pathlib import Path

# Make tests/submissions.py importable as `submissions` from every test folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))
# The project root first: `reference` is the package, not the tests/reference/ folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import os  # noqa: E402

# One instructor secret for the whole run, so hidden inputs (drawn per grade from it and the
# submission's sha256) are the same on every run and machine. Tests of the secret's sources unset it.
os.environ["NNGRADE_HIDDEN_SEED"] = "nngrade test suite"
