"""Properties of the format and of downsampling, over generated data.

- A chunk gives back exactly the times (ms) and values (hundredths) it was made of.
- Whatever the order the points arrive in, in whatever batches, with compaction between
  them (so that late points land in days already compacted, and re-sent ones are there
  already), a query answers exactly what a brute-force pass over the points gives: the
  raw points when there are at most ``max_points``, else min/mean/max/count per bucket of
  the finest rollup that gives at most ``max_points`` buckets, cut to the query's range.
"""

import math

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rpymostat.core.history.buckets import ROLLUP_STEPS, buckets_spanned
from rpymostat.core.history.codec import LIMIT, VALUE_SCALE, decode, encode, quantize, to_ms
from rpymostat.hub.store.store import Store

T0_MS = 1_790_035_200_000 - 6 * 3600_000  # 18:00 the day before a chunk boundary
SPAN_MS = 3 * 86400_000


@st.composite
def columns(draw):
    times = sorted(draw(st.sets(st.integers(1 - LIMIT, LIMIT - 1), min_size=1, max_size=300)))
    steady = draw(st.booleans())
    if steady:  # a sensor's rhythm with a little jitter, the usual case
        start, step = times[0], draw(st.integers(1, 600_000))
        times = [start + i * step + draw(st.integers(0, min(step - 1, 50))) for i in range(len(times))]
    values = draw(st.lists(st.integers(1 - LIMIT, LIMIT - 1) | st.integers(-5000, 5000),
                           min_size=len(times), max_size=len(times)))
    return times, values


@given(columns())
@settings(max_examples=300)
def test_a_chunk_decodes_to_exactly_what_was_encoded(data):
    times, values = data
    assert decode(encode(times, values)) == (times, values)


@given(st.floats(-1e6, 1e6, allow_nan=False))
def test_values_are_kept_to_the_hundredth(value):
    assert abs(quantize(value) / VALUE_SCALE - value) <= 0.005 + 1e-9 * abs(value)


point = st.tuples(st.integers(0, SPAN_MS - 1), st.floats(-40, 70, allow_nan=False).map(lambda v: round(v, 4)))


@st.composite
def arrivals(draw):
    """Batches of points in arrival order (some re-sent), each maybe followed by compaction."""
    points = draw(st.lists(point, min_size=1, max_size=250))
    points += draw(st.lists(st.sampled_from(points), max_size=20))  # re-sent, maybe with another value
    order = draw(st.permutations(points))
    cuts = sorted(draw(st.sets(st.integers(1, len(order)), max_size=5)) | {len(order)})
    batches, previous = [], 0
    for cut in cuts:
        batches.append((order[previous:cut], draw(st.booleans())))
        previous = cut
    return batches


def brute_force(batches, lo, hi):
    kept = {}
    for batch, _ in batches:
        for offset, value in batch:
            kept.setdefault(T0_MS + offset, quantize(value))
    return sorted((t, v) for t, v in kept.items() if lo <= t < hi)


def buckets(points, step_s):
    groups = {}
    for t, v in points:
        groups.setdefault(t // (step_s * 1000) * step_s, []).append(v)
    return [(float(start), min(vs) / 100, sum(vs) / len(vs) / 100, max(vs) / 100, len(vs))
            for start, vs in sorted(groups.items())]


@given(arrivals(), st.integers(-3600_000, SPAN_MS), st.integers(1, SPAN_MS + 3600_000), st.integers(1, 400))
@example([([(0, 1.0), (3600_000, 1.5), (6 * 3600_000, 2.0)], False)], 0, 6 * 3600_000 + 1, 2)  # two part days
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_queries_equal_a_brute_force_pass_over_the_points(batches, start_offset, length, max_points):
    store = Store("sqlite://")
    store.open(0.0)
    history = store.history
    for batch, compact_after in batches:
        history.append([("s", (T0_MS + offset) / 1000, value) for offset, value in batch])
        if compact_after:
            while history.compact_step((T0_MS + SPAN_MS) / 1000 + 86400, 100):
                pass
    lo, hi = T0_MS + start_offset, T0_MS + start_offset + length
    answer = history.query("s", lo / 1000, hi / 1000, max_points)
    store.close()
    expected = brute_force(batches, lo, hi)
    if answer.resolution == "raw":
        assert len(expected) <= max_points
        assert list(answer.points) == [(t / 1000, v / 100, v / 100, v / 100, 1) for t, v in expected]
        return
    assert len(expected) > max_points
    step_s = int(answer.step_s)
    assert list(answer.points) == buckets(expected, step_s)
    assert buckets_spanned(lo, hi, step_s) <= max_points
    finer = [s for s in ROLLUP_STEPS if s < step_s]
    assert all(buckets_spanned(lo, hi, s) > max_points for s in finer), "the finest rollup that fits"
    assert not math.isnan(sum(p[2] for p in answer.points))


def test_times_are_kept_to_the_millisecond():
    assert [to_ms(t) for t in (1790035200.0004, 1790035200.0006, -0.0006)] == [1790035200000, 1790035200001, -1]
