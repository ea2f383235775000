"""A process that appends to the history store and compacts it as fast as it can, noting
each batch once its append has returned, so that a test can kill it (SIGKILL) at any
moment and then check that every noted point is stored, once.

    python -m tests.integration.history_writer DATABASE_URL ACK_FILE

Batch ``k`` holds 30 minutes of one-minute points for each of ``SERIES`` and re-sends
the points of batch ``k - 60`` (a day already compacted, most of the time). It starts
after the last batch the ack file names, so that runs after a kill carry on.
"""

import os
import sys

from rpymostat.hub.store.store import Store

T0 = 1_790_035_200.0
SERIES = ("sensor/a", "sensor/b", "zone/1/temperature", "output/gpio17/state")


def batch(k: int) -> list[tuple[str, float, float]]:
    return [(series, T0 + (k * 30 + j) * 60, (k * 31 + j * 7 + n) % 500 / 16)
            for n, series in enumerate(SERIES) for j in range(30)]


def last_acked(path: str) -> int:
    if not os.path.exists(path):
        return -1
    lines = [line for line in open(path).read().split("\n")[:-1] if line]
    return int(lines[-1]) if lines else -1


def main(url: str, ack_path: str) -> None:
    store = Store(url)
    store.open(T0)
    ack = os.open(ack_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    k = last_acked(ack_path) + 1
    while True:
        points = batch(k) + (batch(k - 60) if k >= 60 else [])
        store.history.append(points)
        os.write(ack, f"{k}\n".encode())
        store.history.compact_step(T0 + (k + 1) * 1800, 200)
        k += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
