"""What a second ``rpymostat demo`` in the same home takes from the first: the relay's
port when it is still free, any free one otherwise."""

import socket

from rpymostat.sim.demo import free_port, relay_port


def test_a_port_in_use_gives_way_to_a_free_one():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        assert free_port(busy) == 0
    assert free_port(busy) == busy, "free again once closed"
    assert free_port(0) == 0


def test_the_relay_comes_back_on_its_last_port_when_free(tmp_path):
    assert relay_port(tmp_path) == 0, "a first run: any port"
    with socket.socket() as last:
        last.bind(("127.0.0.1", 0))
        port = last.getsockname()[1]
        (tmp_path / "relay-port").write_text(str(port))
        last.listen()
        assert relay_port(tmp_path) == 0, "taken since: any port"
    assert relay_port(tmp_path) == port
    (tmp_path / "relay-port").write_text("")
    assert relay_port(tmp_path) == 0
