"""``predictive`` at the end of an away interval: the benchmark's long setback showed it
arriving as late as hysteresis when people came back; it now starts early out of a ``once``
rule (never into one, and never out of a hold)."""

from rpymostat.core.control.decide import Equipment, Inputs, Settings, decide
from rpymostat.core.control.learner import Rate, ZoneModel
from rpymostat.core.control.lookahead import Outdoor, Upcoming
from rpymostat.core.control.predictive import Predictive
from rpymostat.core.target import Target

H = 3600.0
AWAY = Target(mode="heat", heat_setpoint=12.0)
DAY = Target(mode="heat", heat_setpoint=21.0)
MODEL = ZoneModel(Rate("heat", 4.0, confidence=1.0, learned=True, runs=(1, 2, 3)), Rate("cool", 2.0))


def at(now, segments, target=AWAY):
    return Inputs(12.0, now, target, Equipment(hub_start=-H), now, Settings(), segments=segments, model=MODEL,
                  outdoor=Outdoor(-5.0, now))


def test_an_away_interval_ending_is_prepared_for():
    segments = (Upcoming(0.0, AWAY, "away", "once"), Upcoming(17 * H, DAY, "day", "recurring"))
    lead = 9.0 / 4.0 * H * 1.05  # full confidence: 5 % margin
    assert decide(at(17 * H - lead - 60, segments), Predictive()).action == "idle"
    back = decide(at(17 * H - lead + 60, segments), Predictive())
    assert back.action == "heating" and back.reason.startswith("preheating for 21.0 °C at 17:00")


def test_a_hold_in_force_is_still_kept_to_the_letter():
    segments = (Upcoming(0.0, AWAY, "hold", "hold"), Upcoming(17 * H, DAY, "day", "recurring"))
    assert decide(at(16 * H, segments), Predictive()).action == "idle"


def test_no_early_start_into_an_away_interval_that_follows_one():
    segments = (Upcoming(0.0, AWAY, "away", "once"), Upcoming(10 * H, AWAY, "holiday", "once"),
                Upcoming(17 * H, DAY, "day", "recurring"))
    assert decide(at(9 * H, segments), Predictive()).action == "idle"
