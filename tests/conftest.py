import sys
from pathlib import Path

# Make tests/submissions.py importable as `submissions` from every test folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))
# The project root first: `reference` is the package, not the tests/reference/ folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
