"""A grade's start-up work, overlapped: the isolation probe, the worker's start, fixtures and resources.

The first grade in a process probes the sandbox by running a trial worker
(:func:`nngrade.sandbox.probe_isolation`) and then starts the real worker: two
interpreter start-ups with NumPy imports. Here the probe runs in a thread,
meanwhile the real worker starts under the isolation the probe tries first
(:func:`nngrade.sandbox.host.isolation.first_candidate`), and the probe thread then
reads the fixtures and the resources (data sets) the checks will use. That worker gets its
first request, which imports the submission, only once the probe has returned
the same level and privilege choice; otherwise it is closed, having run no
student code, and a worker starts under the isolation the probe chose.
Later grades in the process find the probe done and do the same work in order.
"""
from __future__ import annotations

import threading
from concurrent.futures import Future

from nngrade.engine.fixture_store import load_fixture, manifest
from nngrade.sandbox import Isolation, WorkerSession, probe_isolation
from nngrade.sandbox.host.isolation import first_candidate


class Startup:
    """Begin the probe (in a thread, the first time per process) and the reading of the checks' data.

    Parameters
    ----------
    sandbox : str
        The isolation mode of :func:`probe_isolation`.
    checks : list
        ``(spec, points, visibility)`` of the selected checks.
    resources : Resources
        The assignment's resources; those a selected check's group needs are loaded ahead.
    """

    def __init__(self, sandbox: str, checks, resources):
        self.sandbox = sandbox
        self.outcome: Future = Future()
        # None once this process has probed the mode: nothing to overlap, the probe's answer is cached.
        self.guess: Isolation | None = first_candidate(sandbox)
        if self.guess is None:
            prefetch(checks, resources)
            return
        threading.Thread(target=self._probe, args=(checks, resources), name="nngrade-probe", daemon=True).start()

    def _probe(self, checks, resources) -> None:
        try:
            self.outcome.set_result(probe_isolation(self.sandbox))
        except BaseException as exc:  # noqa: BLE001 - raised again by isolation()
            self.outcome.set_exception(exc)
        prefetch(checks, resources)

    def isolation(self) -> Isolation:
        """The probed isolation (raises what the probe raised, e.g. SandboxUnavailable in strict mode)."""
        return self.outcome.result() if self.guess is not None else probe_isolation(self.sandbox)

    def session(self, module_dir, entry: str, *, limits, slot: int, api=(), plugins=()) -> WorkerSession:
        """A session whose worker runs under the probed isolation, started during the probe when possible."""
        early: WorkerSession | None = None
        guess = self.guess
        if guess is not None:
            try:
                early = WorkerSession(module_dir, entry, limits=limits, isolation=guess, slot=slot,
                                      api=api, plugins=plugins)
                early.start()
            except Exception:  # noqa: BLE001 - e.g. this level does not work here: the probe will say which does
                _closed(early)
                early = None
        try:
            isolation = self.isolation()
        except BaseException:
            _closed(early)
            raise
        if early is not None and guess is not None and _same_launch(guess, isolation):
            guess.features, guess.notes = dict(isolation.features), list(isolation.notes)
            return early
        _closed(early)
        return WorkerSession(module_dir, entry, limits=limits, isolation=isolation, slot=slot, api=api, plugins=plugins)


def _same_launch(guess: Isolation, probed: Isolation) -> bool:
    """Whether workers are started the same way under both (level, mode, uid, extra read-only directories)."""
    return (guess.level, guess.mode, guess.drop_privileges, guess.extra_readonly) == \
        (probed.level, probed.mode, probed.drop_privileges, probed.extra_readonly)


def _closed(session: WorkerSession | None) -> None:
    if session is not None:
        session.close()


def prefetch(checks, resources) -> None:
    """Read the fixture sets and the resources the checks will use (errors are left to the checks)."""
    try:
        for visibility in sorted({spec.visibility for spec, _, _ in checks}):
            for relative in manifest()["files"]:
                if relative.startswith(f"{visibility}/") and relative.endswith(".npz"):
                    load_fixture(visibility, relative[len(visibility) + 1:-len(".npz")])
    except Exception:  # noqa: BLE001 - a missing or bad fixture fails its check, as without this
        pass
    try:
        resources.prefetch({spec.group for spec, _, _ in checks})
    except Exception:  # noqa: BLE001 - raised again when the check asks for the resource
        pass
