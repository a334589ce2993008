"""Fixtures of the hostile corpus: a loopback server that hands out the reference source."""
from __future__ import annotations

import pytest

from hostile.runner import reference_server


@pytest.fixture(scope="session")
def answer_server_port():
    with reference_server() as port:
        yield port
