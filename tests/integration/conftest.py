import signal

import pytest


@pytest.fixture
def procs():
    """Processes a test starts (append them): killed at its end if still running."""
    started = []
    yield started
    for proc in reversed(started):
        if proc.popen.poll() is None:
            proc.stop(signal.SIGKILL)
