"""The import policy inside the worker: a meta-path finder that refuses the assignment's forbidden modules.

Loaded by the worker beside ``protocol.py`` (standard library only), and put
in force before the submission is imported. The loader's static scan
(``nngrade.engine.imports``) names the imports it can see; this guard catches
the computed ones.
"""
import json
import os
import sys

#: The assignment's import policy, staged beside this file by the grader when it has one.
IMPORT_POLICY_FILE = "plugin_imports.json"


class ImportGuard:
    """Meta-path finder, placed first before the submission is imported, refusing the policy's modules.

    ``forbidden`` names (and their submodules) are refused whoever imports them;
    when ``allowed`` is not empty, an import made by the submission's own code
    must name an allowed module, the standard library or one of its own
    modules. A refusal raises ``ModuleNotFoundError``, so a submission's
    ``try: import torch / except ImportError:`` fallback still works.
    """

    def __init__(self, forbidden, allowed, submission_dir):
        self.forbidden = tuple(forbidden)
        self.watched = tuple(b for b in self.forbidden if b not in sys.modules)  # not the worker's own imports
        self.allowed = frozenset(allowed)
        self.submission_dir = submission_dir
        self.own = frozenset(name.partition(".")[0] for name in os.listdir(submission_dir))
        self.stdlib = frozenset(getattr(sys, "stdlib_module_names", ()))

    def find_spec(self, name, path=None, target=None):
        for banned in self.forbidden:
            if name == banned or name.startswith(banned + "."):
                raise ModuleNotFoundError(f"import of {name!r} refused: this assignment forbids {banned}", name=name)
        top = name.partition(".")[0]
        if self.allowed and top not in self.allowed and top not in self.stdlib and top not in self.own \
                and self._from_submission():
            raise ModuleNotFoundError(f"import of {name!r} refused: this assignment allows only "
                                      f"{', '.join(sorted(self.allowed))} and the standard library", name=name)
        return None

    def _from_submission(self):
        frame = sys._getframe(2)  # past find_spec: the import machinery, then the code asking for the import
        while frame is not None and (frame.f_code.co_filename.startswith("<frozen importlib")
                                     or str(frame.f_globals.get("__name__", "")).startswith("importlib")):
            frame = frame.f_back
        return frame is not None and os.path.realpath(frame.f_code.co_filename).startswith(self.submission_dir + os.sep)

    def tampered(self):
        """Whether student code took the guard out, or holds a forbidden module anyway.

        Plain loops only: the submission may have replaced builtins such as ``any``.
        """
        for name in self.watched:
            if name in sys.modules:
                return True
        for finder in sys.meta_path:
            if finder is self:
                return False
        return True


def install_import_guard(submission_dir):
    """Put the staged import policy in force (no policy file: nothing to do); returns the guard or None."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), IMPORT_POLICY_FILE)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        policy = json.load(handle)
    guard = ImportGuard(policy.get("forbidden", ()), policy.get("allowed", ()), submission_dir)
    sys.meta_path.insert(0, guard)
    return guard
