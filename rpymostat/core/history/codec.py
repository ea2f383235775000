"""The chunk format: one series' points of one day in a few hundred bytes.

Points are kept as integers: the time in milliseconds and the value in hundredths
(``VALUE_SCALE``), which is finer than any sensor the hub reads needs (a DS18B20 resolves
1/16 °C) and makes the encoding exact. A chunk stores

- the times as deltas of deltas: readings come at a steady interval, so these are
  mostly zero whatever the interval or the jitter;
- the values as deltas: a temperature moves by a few hundredths between readings;

each column zig-zag mapped to unsigned integers, packed at the narrowest fixed width
(1, 2, 4 or 8 bytes) that holds its largest entry, and the whole compressed with zlib,
which squeezes the runs of zeros and small bytes. Decoding is a decompress, two array
loads and running sums, all done in C, so reading a day of points costs well under a
millisecond.

Layout: one format byte, then zlib of the header (count, first time, first delta, first
value, the two column widths) followed by the time column and the value column.
"""

from __future__ import annotations

import struct
import sys
import zlib
from array import array
from itertools import accumulate
from typing import Iterable, Sequence

FORMAT = 1
VALUE_SCALE = 100
CHUNK_MS = 86_400_000  # one chunk per series per UTC day
LIMIT = 2**60  # a time in ms or a scaled value stays below: deltas of deltas, zig-zagged, fit 64 bits

_HEADER = struct.Struct("<IqqqBB")
_TYPECODES = {1: "B", 2: "H", 4: "I", 8: "Q"}


def quantize(value: float) -> int:
    """A value in hundredths, halves away from zero (20.125 -> 2013); refuses what a
    chunk cannot hold (NaN fails the comparison too) rather than storing something else."""
    scaled = value * VALUE_SCALE
    if not abs(scaled) < LIMIT:
        raise ValueError(f"cannot store the value {value!r}")
    return int(scaled + 0.5) if scaled >= 0 else -int(0.5 - scaled)


def to_ms(time: float) -> int:
    scaled = time * 1000
    if not abs(scaled) < LIMIT:
        raise ValueError(f"cannot store the time {time!r}")
    return int(scaled + 0.5) if scaled >= 0 else -int(0.5 - scaled)


def chunk_start(time_ms: int) -> int:
    return time_ms - time_ms % CHUNK_MS


def zigzag(n: int) -> int:
    return n << 1 if n >= 0 else ((-n) << 1) - 1


def unzigzag(z: int) -> int:
    return (z >> 1) ^ -(z & 1)


def _column(numbers: Sequence[int]) -> tuple[int, bytes]:
    largest = max(numbers, default=0)
    width = next(w for w in (1, 2, 4, 8) if largest < 1 << (8 * w))
    packed = array(_TYPECODES[width], numbers)
    if sys.byteorder == "big":
        packed.byteswap()
    return width, packed.tobytes()


def _read(body: bytes, offset: int, width: int, count: int) -> list[int]:
    packed = array(_TYPECODES[width])
    packed.frombytes(body[offset:offset + width * count])
    if sys.byteorder == "big":
        packed.byteswap()
    return [(z >> 1) ^ -(z & 1) for z in packed]


def encode(times: Sequence[int], values: Sequence[int]) -> bytes:
    """Times strictly increasing (ms), values in hundredths, as many of each."""
    if not times or len(times) != len(values):
        raise ValueError("a chunk holds at least one point, and one value per time")
    deltas = [b - a for a, b in zip(times, times[1:])]
    if min(deltas, default=1) <= 0:
        raise ValueError("a chunk's times must be strictly increasing")
    time_width, time_column = _column([zigzag(b - a) for a, b in zip(deltas, deltas[1:])])
    value_width, value_column = _column([zigzag(b - a) for a, b in zip(values, values[1:])])
    header = _HEADER.pack(len(times), times[0], deltas[0] if deltas else 0, values[0], time_width, value_width)
    return bytes([FORMAT]) + zlib.compress(header + time_column + value_column, 6)


def decode(data: bytes) -> tuple[list[int], list[int]]:
    """The times (ms) and values (hundredths) a chunk holds."""
    if not data or data[0] != FORMAT:
        raise ValueError("not a chunk of a format this version reads")
    body = zlib.decompress(data[1:])
    count, first_time, first_delta, first_value, time_width, value_width = _HEADER.unpack_from(body)
    if count == 1:
        return [first_time], [first_value]
    offset = _HEADER.size
    delta_changes = _read(body, offset, time_width, count - 2)
    value_deltas = _read(body, offset + time_width * (count - 2), value_width, count - 1)
    deltas = accumulate(delta_changes, initial=first_delta)
    return list(accumulate(deltas, initial=first_time)), list(accumulate(value_deltas, initial=first_value))


def merge(old: Iterable[tuple[int, int]], new: Iterable[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """A chunk's points with more added; where both hold a time, the old point stays
    (it was acknowledged first)."""
    points = dict(new)
    points.update(old)
    times = sorted(points)
    return times, [points[t] for t in times]
