"""The hidden checks' worker: started early, fed the submission only after the public worker is gone."""
from __future__ import annotations

import threading


class HiddenWorker:
    """The hidden checks' session, its worker started while the public checks run.

    A started worker has not imported the submission yet: that is its first request,
    sent only once the public worker and every process of its uid are gone. It runs
    under another sandbox uid, so the public session's sweep leaves it alone.
    """

    def __init__(self, make_session):
        self.session, self.error = None, None
        try:
            self.session = make_session()
        except Exception as exc:  # noqa: BLE001 - raised when the hidden checks ask for their worker
            self.error = exc
        self._ready, self._closed = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._start, name="nngrade-hidden-worker", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        try:
            if self.session is not None:
                self.session.start()
        except Exception:  # noqa: BLE001 - the first request starts it again and reports what fails
            self.session.restart()
        finally:
            self._ready.set()
            # NOTE: the worker gets SIGKILL when the *thread* that started it ends (PR_SET_PDEATHSIG,
            # bwrap --die-with-parent), so this thread lives until the session is closed.
            self._closed.wait()

    def __call__(self):
        self._ready.wait()
        if self.error is not None:
            raise self.error
        return self.session

    def close(self) -> None:
        self._ready.wait()
        if self.session is not None:
            self.session.close()
        self._closed.set()
        self._thread.join()
