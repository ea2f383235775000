"""A node on plain HTTP keeps pyOpenSSL out of its process; one given an https hub keeps it."""

import importlib.util
import subprocess
import sys

import pytest

PROBE = """
import sys
from rpymostat.runtime.process import install_reactor
install_reactor(tls={tls})
import twisted.internet.tcp, treq
print(sys.modules.get("OpenSSL") is not None)
"""


@pytest.mark.skipif(importlib.util.find_spec("OpenSSL") is None, reason="pyOpenSSL is not installed")
@pytest.mark.parametrize("tls, loaded", [(False, "False"), (True, "True")])
def test_tls_is_loaded_only_when_asked_for(tls, loaded):
    run = subprocess.run([sys.executable, "-c", PROBE.format(tls=tls)], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == loaded
