"""The learner in the hub: it reads a zone's runs at start-up, and again as a run ends."""

from rpymostat.core.settings import for_zone
from tests.control.rig import HEAT, Rig
from tests.history_api.kit import record_run


def model(rig):
    return rig.control.learning.model(1, for_zone(rig.hub.api.settings, {}))


def test_a_run_that_ends_is_learned_from_and_the_model_survives_a_restart(tmp_path):
    rig = Rig(f"sqlite:///{tmp_path / 'hub.db'}", settings={"learner_min_runs": 3})
    try:
        t0 = rig.starts[0]
        for day in (3, 2):
            record_run(rig.hub.raw_store, 1, t0 - day * 86_400, 3.0, start_temperature=18.0)
        rig.restart()
        assert not model(rig).heat.learned and len(model(rig).heat.runs) == 2
        rig.feed(18.0, until=rig.starts[-1] + 330)
        assert rig.relay.on(HEAT)
        began = rig.clock.seconds()
        for minute in (5, 10, 15, 20):  # the recorder's samples of the run, rising at 3 K/h
            rig.feed(18.0 + 0.05 * minute, until=began + minute * 60)
            rig.hub.raw_store.sample_runs(rig.clock.seconds(), 300, {1: 18.0 + 0.05 * minute})
        rig.feed(20.6, until=began + 25 * 60)
        assert not rig.relay.on(HEAT)
        learned = model(rig).heat
        assert learned.learned and len(learned.runs) == 3 and abs(learned.rate - 3.0) < 0.3
        rig.restart()
        assert model(rig).heat == learned
    finally:
        rig.close()
