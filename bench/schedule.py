"""Time to resolve a zone's 7-day timeline with 10, 100 and 1000 rules.

Baseline, in the same run: just expanding the same rules' occurrences (cron and
interval work, no resolution). Prints figures; never passes or fails.

    .venv/bin/python bench/schedule.py
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rpymostat.core.schedule.occurrences import compile_cron, occurrences
from rpymostat.core.schedule.rules import Rule
from rpymostat.core.schedule.timeline import ZoneSchedule, resolve_timeline
from rpymostat.core.target import Target
from rpymostat.core.timeutil import UTC

TZ = ZoneInfo("America/New_York")
START = datetime(2026, 3, 5, tzinfo=UTC)  # the window crosses the spring-forward night
END = START + timedelta(days=7)
REPEAT = 7


def make_rules(count: int, rnd: random.Random) -> list[Rule]:
    """A plausible but crowded zone: mostly daily/weekday rules, some once rules and a hold."""
    rules = []
    for rule_id in range(1, count + 1):
        target = Target(heat_setpoint=rnd.choice([17.0, 18.5, 20.0, 21.0]))
        common = dict(id=rule_id, zone_id=1, name=f"rule {rule_id}", target=target,
                      priority=rnd.choice([0, 0, 0, 1]),
                      changed_at=START - timedelta(days=rnd.randint(1, 90)))
        roll = rnd.random()
        if roll < 0.6:
            cron = f"{rnd.choice([0, 15, 30, 45])} {rnd.randint(0, 23)} * * " \
                   f"{rnd.choice(['*', '1-5', '0,6', '1,3,5'])}"
            rules.append(Rule(kind="recurring", cron=cron,
                              duration=timedelta(minutes=30 * rnd.randint(1, 16)), **common))
        elif roll < 0.8:
            cron = f"0 {rnd.randint(16, 23)} * * {rnd.choice(['*', '1-5'])}"
            rules.append(Rule(kind="recurring", cron=cron,
                              end_cron=f"0 {rnd.randint(5, 8)} * * *", **common))
        elif roll < 0.999:
            begin = START + timedelta(hours=rnd.randint(-48, 24 * 8))
            interval = f"{begin:%Y-%m-%dT%H:%M}Z/PT{rnd.randint(1, 72)}H"
            rules.append(Rule(kind="once", interval=interval, **common))
        else:
            rules.append(Rule(kind="hold", start=START + timedelta(days=2),
                              end=START + timedelta(days=2, hours=3), **common))
    return rules


def best_ms(action) -> tuple[float, float]:
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        action()
        times.append((time.perf_counter() - t0) * 1000)
    return min(times), statistics.median(times)


def main() -> None:
    rnd = random.Random(20261221)
    print(f"7-day timeline, {TZ.key}, {START:%Y-%m-%d} .. {END:%Y-%m-%d}; best/median of {REPEAT} runs")
    print(f"{'rules':>6} {'occurrences':>12} {'segments':>9} {'conflicts':>10}"
          f" {'expand ms':>14} {'resolve ms':>14} {'resolve/expand':>15}")
    for count in (10, 100, 1000):
        report(count, rnd)


def report(count: int, rnd: random.Random) -> None:
    rules = make_rules(count, rnd)
    zone = ZoneSchedule(1, TZ, Target(heat_setpoint=16.0), rules)

    def expand():
        return [o for r in rules for o in occurrences(r, TZ, START, END)]

    def resolve():
        return resolve_timeline(zone, START, END)

    compile_cron.cache_clear()
    cold_ms = best_ms(lambda: (compile_cron.cache_clear(), resolve()))[0]
    expand_ms = best_ms(expand)
    resolve_ms = best_ms(resolve)
    timeline = resolve()
    print(f"{count:>6} {len(expand()):>12} {len(timeline.segments):>9}"
          f" {len(timeline.conflicts):>10}"
          f" {expand_ms[0]:>6.1f}/{expand_ms[1]:<7.1f} {resolve_ms[0]:>6.1f}/{resolve_ms[1]:<7.1f}"
          f" {resolve_ms[0] / expand_ms[0]:>14.2f}x"
          f"   (cold cron cache: {cold_ms:.1f} ms)")


if __name__ == "__main__":
    main()
