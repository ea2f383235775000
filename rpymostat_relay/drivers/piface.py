"""Relays and open-collector outputs on PiFace Digital boards, through pifacedigitalio.

Ids: ``piface<board>-relay<0..1>`` for the two relays and ``piface<board>-out<0..7>`` for
the eight open-collector outputs, where ``<board>`` is the board's hardware address (0-3,
set by jumpers when several boards are stacked). The two relays are wired to outputs 0
and 1, so ``relay0`` and ``out0`` (likewise ``relay1`` and ``out1``) are one output and
cannot both be configured.

Config keys:

- ``outputs`` (list, required): ``{"id": "piface0-relay0", "name"?}``.
- ``bus`` / ``chip_select`` (integers, default 0): the SPI device ``/dev/spidev<bus>.<cs>``.

Building a ``PiFaceDigital`` initialises the board, which turns every output off.
"""

from __future__ import annotations

import importlib
import re

from rpymostat_relay.drivers import (
    ConfigError,
    RelayDriver,
    RelayError,
    UnknownOutput,
    driver_schema,
    output_infos,
    output_list_schema,
    validated,
)

ID_PATTERN = r"^piface([0-3])-(relay[01]|out[0-7])$"


def locate(output_id: str) -> tuple[int, str, int]:
    """(board address, "relays" or "output_pins", index) for an output id."""
    board, kind = re.match(ID_PATTERN, output_id).groups()
    if kind.startswith("relay"):
        return int(board), "relays", int(kind[-1])
    return int(board), "output_pins", int(kind[-1])


class PiFaceDriver(RelayDriver):
    name = "piface"
    settings_schema = driver_schema("Relays on PiFace Digital boards (pifacedigitalio)", {
        "outputs": output_list_schema(ID_PATTERN),
        "bus": {"type": "integer", "minimum": 0, "default": 0},
        "chip_select": {"type": "integer", "minimum": 0, "default": 0},
    }, required=("outputs",))

    def __init__(self, config: dict | None = None):
        config = validated(self.settings_schema, config or {"outputs": []})
        self._infos = output_infos(config["outputs"])
        self._where = {info.id: locate(info.id) for info in self._infos}
        pins = {}
        for output_id, (board, _, index) in self._where.items():
            other = pins.setdefault((board, index), output_id)
            if other != output_id:
                raise ConfigError(f"{other} and {output_id} are the same output on the board")
        pifacedigitalio = importlib.import_module("pifacedigitalio")
        self._boards = {}
        for board in sorted({board for board, _, _ in self._where.values()}):
            try:
                self._boards[board] = pifacedigitalio.PiFaceDigital(
                    hardware_addr=board, bus=config["bus"], chip_select=config["chip_select"]
                )
            except Exception as exc:  # SPI missing, no board answering, GPIO interrupt setup
                self._release_hardware()
                raise RelayError(f"PiFace Digital {board}: {exc}") from exc

    def outputs(self):
        return list(self._infos)

    def set(self, output_id, on, lease_s=None):
        pin = self._pin(output_id)
        try:
            if on:
                pin.turn_on()
            else:
                pin.turn_off()
        except OSError as exc:
            raise RelayError(f"{output_id}: SPI write failed: {exc}") from exc

    def get(self, output_id):
        pin = self._pin(output_id)
        try:
            return bool(pin.value)
        except OSError as exc:
            raise RelayError(f"{output_id}: SPI read failed: {exc}") from exc

    def _release_hardware(self):
        for board in self._boards.values():
            board.deinit_board()
        self._boards = {}

    def _pin(self, output_id):
        self._check_open()
        try:
            board, group, index = self._where[output_id]
        except KeyError:
            raise UnknownOutput(output_id) from None
        return getattr(self._boards[board], group)[index]
