"""The relay's journal on disk: it survives a restart and only its owner may read it."""

import os
import stat

from rpymostat_relay.outputs import Journal


def test_the_journal_round_trips_and_is_private_whatever_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        journal = Journal(tmp_path / "outputs.json")
        assert journal.load() == {}
        journal.save({"gpio17": "on", "gpio18": 1_790_000_000.0})
        assert Journal(tmp_path / "outputs.json").load() == {"gpio17": "on", "gpio18": 1_790_000_000.0}
        assert stat.S_IMODE((tmp_path / "outputs.json").stat().st_mode) == 0o600
        assert [p.name for p in tmp_path.iterdir()] == ["outputs.json"], "no scratch file left behind"
    finally:
        os.umask(previous)
