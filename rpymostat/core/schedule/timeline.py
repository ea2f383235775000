"""Which rule a zone follows when: timeline resolution, current state, holds.

The most specific rule wins (DESIGN §5): hold > once > recurring; then the rule whose
active occurrence is shortest; then the higher ``priority``; then the most recently
changed; then the lowest id, so the result never depends on the order of the input.
Rules equal in kind, occurrence length and priority that overlap are a *conflict*: the
user never said which should win, so besides picking one the timeline lists them.

Resolution is a sweep over occurrence boundaries (not a per-minute sample): occurrences
are sorted by specificity in an active list that changes only where one starts or ends.
Pure functions of their inputs; instants are aware datetimes, returned in UTC.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Optional, Sequence
from zoneinfo import ZoneInfo

import attrs

from rpymostat.core.schedule.occurrences import Occurrence, occurrences
from rpymostat.core.schedule.plugins import PluginUse
from rpymostat.core.schedule.rules import HoldRequest, Rule, RuleId
from rpymostat.core.target import Target
from rpymostat.core.timeutil import UTC, format_time

KIND_RANK = {"hold": 0, "once": 1, "recurring": 2}
MAX_WINDOW = timedelta(days=400)
# Horizons tried, in turn, when looking for the next change.
NEXT_CHANGE_HORIZONS = (timedelta(days=8), timedelta(days=64), MAX_WINDOW)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_FOREVER = 1 << 62
# An occurrence's sort key (see _key).
_Key = tuple[Any, ...]


def _rules(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    return tuple(rules)


@attrs.frozen
class ZoneSchedule:
    """What a zone's schedule depends on. Rules of other zones and disabled ones are ignored."""

    zone_id: int
    tz: ZoneInfo
    default: Target
    rules: tuple[Rule, ...] = attrs.field(default=(), converter=_rules)


@attrs.frozen
class Segment:
    start: datetime
    end: datetime
    target: Target
    rule_id: Optional[RuleId]
    why: str
    shadowed: tuple[RuleId, ...] = ()


@attrs.frozen
class Conflict:
    start: datetime
    end: datetime
    rule_ids: tuple[RuleId, ...]
    winner: RuleId


@attrs.frozen
class Timeline:
    """Segments covering exactly [start, end), in order, adjacent ones differing."""

    start: datetime
    end: datetime
    segments: tuple[Segment, ...]
    conflicts: tuple[Conflict, ...] = ()
    warnings: tuple[str, ...] = ()

    def at(self, instant: datetime) -> Segment:
        """The segment in force at ``instant`` (which must lie in [start, end))."""
        starts = [s.start for s in self.segments]
        i = bisect.bisect_right(starts, instant) - 1
        if i < 0 or instant >= self.end:
            raise ValueError(f"{instant} is outside the timeline")
        return self.segments[i]


@attrs.frozen
class ScheduleState:
    """The segment in force at ``now`` (starting at ``now``) and when it changes (None: not
    within :data:`MAX_WINDOW`)."""

    segment: Segment
    next_change: Optional[datetime]


def resolve_timeline(zone: ZoneSchedule, start: datetime, end: datetime,
                     plugins: Sequence[PluginUse] = ()) -> Timeline:
    """The zone's timeline over [start, end), at most :data:`MAX_WINDOW` long.

    Plugins first contribute rules (in order), then transform the timeline (in order).
    Raises ValueError for a naive, empty or too long window or for two rules sharing an id.
    """
    start, end = _utc(start), _utc(end)
    if end <= start:
        raise ValueError("a timeline must end after it starts")
    if end - start > MAX_WINDOW:
        raise ValueError(f"a timeline may span at most {MAX_WINDOW.days} days")
    warnings: list[str] = []
    rules = [r for r in zone.rules if r.enabled and r.zone_id == zone.zone_id]
    for use in plugins:
        rules.extend(_contributed(use, zone, start, end, warnings))
    ids = [r.id for r in rules]
    if None in ids or len(set(ids)) != len(ids):
        raise ValueError("every rule needs an id of its own")
    timeline = _sweep(zone, rules, start, end, warnings)
    for use in plugins:
        timeline = _transformed(use, timeline, zone, warnings)
    return attrs.evolve(timeline, warnings=tuple(warnings))


def current_state(zone: ZoneSchedule, now: datetime,
                  plugins: Sequence[PluginUse] = ()) -> ScheduleState:
    """What applies at ``now`` and the next instant that changes (a later winner or target)."""
    now = _utc(now)
    for horizon in NEXT_CHANGE_HORIZONS:
        timeline = resolve_timeline(zone, now, now + horizon, plugins)
        segment = timeline.segments[0]
        if segment.end < timeline.end:
            return ScheduleState(segment, segment.end)
    return ScheduleState(segment, None)


def make_hold(zone: ZoneSchedule, request: HoldRequest, now: datetime, *,
              hold_id: Optional[RuleId] = None, plugins: Sequence[PluginUse] = ()) -> Rule:
    """A hold rule from ``now``, its end resolved once, now.

    ``"next"`` ends it at the next change of the zone's timeline *without* any hold (the
    one being replaced included); with no change in sight the hold is indefinite.
    """
    now = _utc(now)
    until = request.until
    if until is None or isinstance(until, datetime):
        end = until
    elif isinstance(until, timedelta):
        end = now + until
    elif until == "next":
        without_holds = attrs.evolve(zone, rules=[r for r in zone.rules if r.kind != "hold"])
        end = current_state(without_holds, now, plugins).next_change
    else:
        raise ValueError(f"unknown hold end {until!r}")
    if end is not None and end <= now:
        raise ValueError("a hold must end after now")
    return Rule(id=hold_id, zone_id=zone.zone_id, name="hold", kind="hold",
                target=request.target, start=now, end=end, changed_at=now)


def timeline_to_json(timeline: Timeline) -> dict[str, Any]:
    """The Timeline response shape."""
    return {
        "start": format_time(timeline.start),
        "end": format_time(timeline.end),
        "segments": [segment_to_json(s) for s in timeline.segments],
        "conflicts": [
            {"start": format_time(c.start), "end": format_time(c.end),
             "rule_ids": list(c.rule_ids), "winner": c.winner}
            for c in timeline.conflicts
        ],
        "warnings": list(timeline.warnings),
    }


def segment_to_json(segment: Segment) -> dict[str, Any]:
    return {
        "start": format_time(segment.start),
        "end": format_time(segment.end),
        "target": segment.target.to_json(),
        "rule_id": segment.rule_id,
        "why": segment.why,
        "shadowed": list(segment.shadowed),
    }


def state_to_json(state: ScheduleState) -> dict[str, Any]:
    """The ScheduleState response shape."""
    return {
        "segment": segment_to_json(state.segment),
        "next_change": None if state.next_change is None else format_time(state.next_change),
    }


def timeline_problems(timeline: Timeline) -> list[str]:
    """Why a timeline breaks the contract (contiguous, ordered, non-empty segments)."""
    segments = timeline.segments
    if not segments:
        return ["no segments"]
    found = []
    if segments[0].start != timeline.start or segments[-1].end != timeline.end:
        found.append("segments do not cover the window exactly")
    for a, b in zip(segments, segments[1:]):
        if a.end != b.start:
            found.append(f"gap or overlap at {format_time(a.end)}")
    if any(s.end <= s.start for s in segments):
        found.append("a segment is empty")
    if any(not isinstance(s.target, Target) or s.target.problems() for s in segments):
        found.append("a segment has an invalid target")
    return found


def id_sort_key(rule_id: RuleId) -> tuple[int, int, str]:
    """Orders stored (int) ids before plugin (str) ids, each naturally."""
    return (0, rule_id, "") if isinstance(rule_id, int) else (1, 0, str(rule_id))


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("times must be aware (carry an offset)")
    return value.astimezone(UTC)


def _us(value: datetime) -> int:
    return (value - _EPOCH) // _MICRO


def _time(us: int) -> datetime:
    return _EPOCH + us * _MICRO


def _contributed(use: PluginUse, zone: ZoneSchedule, start: datetime, end: datetime,
                 warnings: list[str]) -> list[Rule]:
    hook = getattr(use.plugin, "rules", None)
    if hook is None:
        return []
    try:
        return [
            attrs.evolve(rule, id=f"{use.plugin.name}:{rule.id}", zone_id=zone.zone_id)
            for rule in hook(zone, use.settings, start, end)
            if rule.enabled
        ]
    except Exception as exc:  # a third-party bug must not stop the schedule
        warnings.append(f"schedule plugin {use.plugin.name!r} failed to add rules: {exc}")
        return []


def _transformed(use: PluginUse, timeline: Timeline, zone: ZoneSchedule, warnings: list[str]) -> Timeline:
    hook = getattr(use.plugin, "transform", None)
    if hook is None:
        return timeline
    try:
        result = hook(timeline, use.settings, zone)
        problems = timeline_problems(result) if isinstance(result, Timeline) else ["not a Timeline"]
        if not problems and (result.start, result.end) != (timeline.start, timeline.end):
            problems = ["window changed"]
    except Exception as exc:  # a third-party bug must not stop the schedule
        problems = [str(exc)]
    if problems:
        warnings.append(
            f"schedule plugin {use.plugin.name!r} ignored: {'; '.join(problems)}")
        return timeline
    merged: Timeline = attrs.evolve(result, segments=_merged(result.segments))
    return merged


def _merged(segments: Sequence[Segment]) -> tuple[Segment, ...]:
    out: list[Segment] = []
    for segment in segments:
        last = out[-1] if out else None
        if last and (last.rule_id, last.target) == (segment.rule_id, segment.target):
            shadowed = sorted(set(last.shadowed) | set(segment.shadowed), key=id_sort_key)
            out[-1] = attrs.evolve(last, end=segment.end, shadowed=tuple(shadowed))
        else:
            out.append(segment)
    return tuple(out)


def _key(occurrence: Occurrence, rule: Rule) -> _Key:
    """Sorts most specific first; the first three items decide, the rest only break ties."""
    start = _us(occurrence.start)
    length = _FOREVER if occurrence.end is None else _us(occurrence.end) - start
    return (KIND_RANK[rule.kind], length, -rule.priority, -_us(rule.changed_at),
            id_sort_key(_id(rule)), start)


@attrs.define
class _Group:
    """A run of elementary intervals with one winner, being built by the sweep."""

    start: int
    winner: Optional[Rule]
    span: Optional[list[int]]
    shadowed: set[RuleId]
    best: Optional[tuple[_Key, _Key, Rule]] = None  # (winner key, strongest loser key, that loser)
    conflicting: set[RuleId] = attrs.field(factory=set)


@attrs.define
class _Tie:
    """A conflict being built by the sweep, in microseconds."""

    start: int
    end: int
    rule_ids: tuple[RuleId, ...]
    winner: RuleId


@attrs.frozen
class _Occurrences:
    """The window's occurrences by sort key (with their rule, start and end), and the
    instants at which they join the active list (not before the window) or leave it
    (ends within the window)."""

    info: dict[_Key, tuple[Rule, int, int]]
    adds: dict[int, list[_Key]]
    removes: dict[int, list[_Key]]


def _sweep(zone: ZoneSchedule, rules: list[Rule], start: datetime, end: datetime,
           warnings: list[str]) -> Timeline:
    lo, hi = _us(start), _us(end)
    found = _occurrences(zone, rules, start, end, warnings)
    points = sorted({lo, hi, *found.adds, *found.removes})
    active: list[_Key] = []
    groups: list[_Group] = []
    ties: list[_Tie] = []
    for t, t_next in zip(points, points[1:]):
        added = _move(active, found, t)
        winner = found.info[active[0]][0] if active else None
        group = _group_from(groups, t, winner, active, added, found.info)
        if winner is None:
            continue
        rivals = _weigh(group, active, found.info)
        if rivals:
            _tie(group, ties, t, t_next, _id(winner), rivals)
    return Timeline(
        start=start, end=end, segments=_segments(zone, rules, groups, hi),
        conflicts=tuple(Conflict(_time(tie.start), _time(tie.end), tie.rule_ids, tie.winner) for tie in ties),
    )


def _occurrences(zone: ZoneSchedule, rules: list[Rule], start: datetime, end: datetime,
                 warnings: list[str]) -> _Occurrences:
    lo, hi = _us(start), _us(end)
    found = _Occurrences({}, defaultdict(list), defaultdict(list))
    for rule in rules:
        try:
            occurring = occurrences(rule, zone.tz, start, end)
        except ValueError as exc:
            # Valid when stored, e.g. a local-time interval that a new hub time zone
            # empties: leave it out rather than lose the whole schedule.
            warnings.append(f"rule {rule.id} ({rule.name!r}) ignored: {exc}")
            continue
        for occ in occurring:
            key = _key(occ, rule)
            s = _us(occ.start)
            e = _FOREVER if occ.end is None else _us(occ.end)
            found.info[key] = (rule, s, e)
            found.adds[max(s, lo)].append(key)
            if e < hi:
                found.removes[e].append(key)
    return found


def _move(active: list[_Key], found: _Occurrences, t: int) -> Sequence[_Key]:
    """The active list at ``t``, kept sorted; returns the occurrences that joined."""
    for key in found.removes.get(t, ()):
        del active[bisect.bisect_left(active, key)]
    added = found.adds.get(t, ())
    for key in added:
        bisect.insort(active, key)
    return added


def _group_from(groups: list[_Group], t: int, winner: Optional[Rule], active: list[_Key],
                added: Sequence[_Key], info: dict[_Key, tuple[Rule, int, int]]) -> _Group:
    """The group the interval from ``t`` belongs to: the last one while its winner stays,
    else a new one; either way with the rules it shadows."""
    group = groups[-1] if groups else None
    if group is None or group.winner is not winner:
        group = _Group(t, winner, None, {_id(info[k][0]) for k in active})
        groups.append(group)
    else:
        group.shadowed.update(_id(info[k][0]) for k in added)
    if winner:
        group.shadowed.discard(_id(winner))
    return group


def _weigh(group: _Group, active: list[_Key],
           info: dict[_Key, tuple[Rule, int, int]]) -> list[RuleId]:
    """Widens the group's span to the winning occurrence, keeps its strongest loser for the
    reason text, and returns the rules as specific as the winner (a conflict)."""
    winner, s, e = info[active[0]]
    group.span = [min(group.span[0], s), max(group.span[1], e)] if group.span else [s, e]
    tier = active[0][:3]
    rivals = []
    for key in active[1:]:
        rule = info[key][0]
        if rule is winner:
            continue
        if group.best is None or key < group.best[1]:
            group.best = (active[0], key, rule)
        if key[:3] != tier:
            break
        rivals.append(_id(rule))
    return rivals


def _tie(group: _Group, ties: list[_Tie], t: int, t_next: int, winner: RuleId,
         rivals: list[RuleId]) -> None:
    """Records a conflict over [t, t_next), continuing the last one when it is the same."""
    ids = tuple(sorted({winner, *rivals}, key=id_sort_key))
    group.conflicting.update(ids)
    if ties and ties[-1].end == t and (ties[-1].rule_ids, ties[-1].winner) == (ids, winner):
        ties[-1].end = t_next
    else:
        ties.append(_Tie(t, t_next, ids, winner))


def _id(rule: Rule) -> RuleId:
    """A rule's id: ``resolve_timeline`` has refused rules without one."""
    assert rule.id is not None
    return rule.id


def _segments(zone: ZoneSchedule, rules: list[Rule], groups: list[_Group], hi: int) -> tuple[Segment, ...]:
    by_id = {rule.id: rule for rule in rules}
    bounds = [g.start for g in groups] + [hi]
    return tuple(
        Segment(
            start=_time(g.start), end=_time(g_end),
            target=g.winner.target if g.winner else zone.default,
            rule_id=g.winner.id if g.winner else None,
            why=_why(g, by_id, zone.tz),
            shadowed=tuple(sorted(g.shadowed, key=id_sort_key)),
        )
        for g, g_end in zip(groups, bounds[1:])
    )


def _why(group: _Group, by_id: Mapping[Optional[RuleId], Rule], tz: ZoneInfo) -> str:
    """A short sentence: the winner, and whom it beat or tied with."""
    winner = group.winner
    if winner is None:
        return "default target: no rule applies"
    assert group.span is not None  # set with the winner
    described = _describe(winner, group.span, tz)
    if group.conflicting:
        others = [by_id[i] for i in sorted(group.conflicting - {winner.id}, key=id_sort_key)]
        newer = any(o.changed_at != winner.changed_at for o in others)
        tie = "changed later" if newer else "lowest id"
        return (f"conflict: {described} and {_names(others)} are equally specific; "
                f"'{winner.name}' applies ({tie})")
    if group.best is None:
        return described
    winner_key, loser_key, loser = group.best
    text = f"{described} beats {loser.kind} '{loser.name}'{_reason(winner_key, loser_key)}"
    more = len(group.shadowed) - 1
    return text + (f" and {more} more" if more > 0 else "")


def _reason(winner_key: _Key, loser_key: _Key) -> str:
    if winner_key[0] != loser_key[0]:
        return ""
    if winner_key[1] != loser_key[1]:
        return " (shorter)"
    return f" (priority {-winner_key[2]} > {-loser_key[2]})"


def _names(rules: Sequence[Rule]) -> str:
    names = [f"{r.kind} '{r.name}'" for r in rules]
    if len(names) <= 2:
        return " and ".join(names)
    return f"{names[0]}, {names[1]} and {len(names) - 2} more"


def _describe(rule: Rule, span: list[int], tz: ZoneInfo) -> str:
    if rule.kind == "hold":
        if rule.end is None:
            return "hold (indefinite)"
        assert rule.start is not None  # a hold starts when it is made
        return f"hold (until {_local(rule.end, tz, rule.end - rule.start >= timedelta(days=1))})"
    return f"{rule.kind} rule '{rule.name}' ({_span(span, tz)})"


def _span(span: list[int], tz: ZoneInfo) -> str:
    """'18:00–23:00' for less than a day, else 'Dec 21–28' or 'Dec 30–Jan 2' (local)."""
    if span[1] >= _FOREVER:
        return f"from {_local(_time(span[0]), tz, True)}"
    a, b = _time(span[0]).astimezone(tz), _time(span[1]).astimezone(tz)
    if b - a < timedelta(days=1):
        return f"{a:%H:%M}–{b:%H:%M}"
    if (a.year, a.month) == (b.year, b.month):
        return f"{a:%b} {a.day}–{b.day}"
    return f"{a:%b} {a.day}–{b:%b} {b.day}"


def _local(instant: datetime, tz: ZoneInfo, with_date: bool) -> str:
    local = instant.astimezone(tz)
    return f"{local:%b} {local.day} {local:%H:%M}" if with_date else f"{local:%H:%M}"
