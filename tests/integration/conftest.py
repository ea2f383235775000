import signal

import pytest


@pytest.fixture
def procs():
    """The processes a test appends here are killed after it, the last started first."""
    started = []
    yield started
    for proc in reversed(started):
        if proc.popen.poll() is None:
            proc.stop(signal.SIGKILL)
