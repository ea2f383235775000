"""A fake /sys/bus/w1/devices tree, byte-faithful to what the kernel's w1_therm writes.

w1thermsensor computes 12-bit families (DS18B20, DS1822, DS1825/MAX31850K, DS28EA00) from
the first two scratchpad bytes and only the DS18S20 from ``t=``, so the fake writes both
consistently.
"""

from __future__ import annotations

from pathlib import Path

COUNTS_PER_DEGREE = {"10": 2, "22": 16, "28": 16, "3b": 16, "42": 16}


def w1_slave_text(family: str, millidegrees: int, crc_ok: bool = True) -> str:
    count = round(millidegrees * COUNTS_PER_DEGREE[family] / 1000) & 0xFFFF
    scratchpad = f"{count & 0xFF:02x} {count >> 8:02x} 4b 46 7f ff 0c 10 d8"
    verdict = "YES" if crc_ok else "NO"
    return f"{scratchpad} : crc=d8 {verdict}\n{scratchpad} t={millidegrees}\n"


class FakeW1Bus:
    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        # A real bus directory also lists its master, which is not a sensor.
        (root / "w1_bus_master1").mkdir(exist_ok=True)

    def add(self, sensor_id: str, millidegrees: int = 21375, crc_ok: bool = True) -> None:
        family = sensor_id.split("-", 1)[0]
        directory = self.root / sensor_id
        directory.mkdir(exist_ok=True)
        (directory / "w1_slave").write_text(w1_slave_text(family, millidegrees, crc_ok))

    def write_raw(self, sensor_id: str, text: str) -> None:
        directory = self.root / sensor_id
        directory.mkdir(exist_ok=True)
        (directory / "w1_slave").write_text(text)

    def remove(self, sensor_id: str) -> None:
        directory = self.root / sensor_id
        (directory / "w1_slave").unlink()
        directory.rmdir()
