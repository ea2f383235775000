import re

import pytest

from rpymostat.node.identity import machine_identity, node_id

PI_CPUINFO = """processor\t: 0
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm crc32 cpuid

Hardware\t: BCM2835
Revision\t: c03111
Serial\t\t: 10000000ABCDEF12
Model\t\t: Raspberry Pi 4 Model B Rev 1.1
"""
X86_CPUINFO = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Some CPU\n"
MID = "4c4c4544004d3510804bc4c04f573532\n"


@pytest.fixture
def paths(tmp_path):
    return tmp_path / "cpuinfo", tmp_path / "machine-id", tmp_path / "data"


def ident(paths, **kw):
    cpuinfo, mid, data = paths
    return node_id(data, cpuinfo=cpuinfo, machine_id=mid, **kw)


def test_pi_serial_wins(paths):
    paths[0].write_text(PI_CPUINFO)
    paths[1].write_text(MID)
    assert ident(paths) == "rpi-10000000abcdef12"


def test_all_zero_serial_is_ignored(paths):
    paths[0].write_text(PI_CPUINFO.replace("10000000ABCDEF12", "0000000000000000"))
    paths[1].write_text(MID)
    assert ident(paths).startswith("mid-")


def test_machine_id_is_not_exposed_but_stable(paths):
    paths[0].write_text(X86_CPUINFO)
    paths[1].write_text(MID)
    first = ident(paths)
    assert first.startswith("mid-") and len(first) == 20
    assert MID.strip()[:8] not in first
    assert ident(paths) == first
    paths[1].write_text("0" * 31 + "1\n")
    assert ident(paths) != first


@pytest.mark.parametrize("content", ["", "uninitialized\n", "not-hex\n"])
def test_generated_id_when_nothing_else(paths, content):
    paths[1].write_text(content)  # cpuinfo missing entirely
    first = ident(paths)
    assert first.startswith("gen-")
    assert ident(paths) == first  # created once, reused
    assert (paths[2] / "node_id").read_text().strip() == first


def test_generated_id_survives_and_differs_between_machines(tmp_path):
    a = node_id(tmp_path / "a", cpuinfo=tmp_path / "none", machine_id=tmp_path / "none")
    b = node_id(tmp_path / "b", cpuinfo=tmp_path / "none", machine_id=tmp_path / "none")
    assert a != b
    assert node_id(tmp_path / "a", cpuinfo=tmp_path / "none", machine_id=tmp_path / "none") == a


def test_damaged_id_file_is_replaced(paths):
    paths[2].mkdir()
    (paths[2] / "node_id").write_text("")
    assert ident(paths).startswith("gen-")


def test_kind_keeps_two_daemons_on_one_machine_apart(paths):
    paths[0].write_text(PI_CPUINFO)
    assert ident(paths, kind="sensor") == "rpi-10000000abcdef12-sensor"
    assert ident(paths, kind="relay") == "rpi-10000000abcdef12-relay"


def test_machine_identity_defaults_to_real_paths(tmp_path):
    assert re.match(r"^(rpi|mid|gen)-[0-9a-f]{8,16}$", machine_identity(tmp_path))
