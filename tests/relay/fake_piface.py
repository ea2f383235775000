"""A stand-in for ``pifacedigitalio.PiFaceDigital`` (3.0.5), mirroring its constructor,
``deinit_board`` and the register-bit objects in ``relays`` and ``output_pins``. As on the
real board, relay 0/1 and output pin 0/1 are the same bits of one output port."""

from __future__ import annotations

import pifacecommon.spi
import pifacedigitalio


class FakeOutputPort:
    def __init__(self):
        self.value = 0
        self.writes = []


class FakeRegisterBit:
    """Like ``pifacecommon.mcp23s17.MCP23S17RegisterBit``."""

    def __init__(self, bit_num, port):
        self.bit_num = bit_num
        self._port = port

    @property
    def value(self):
        return (self._port.value >> self.bit_num) & 1

    @value.setter
    def value(self, v):
        if v:
            self._port.value |= 1 << self.bit_num
        else:
            self._port.value &= ~(1 << self.bit_num)
        self._port.writes.append((self.bit_num, int(bool(v))))

    def set_high(self):
        self.value = 1

    def set_low(self):
        self.value = 0

    turn_on = set_high
    turn_off = set_low


class FakeBoards:
    """Which hardware addresses answer on the SPI bus, and what each board's port holds."""

    def __init__(self, addresses=(0,), spi_present=True):
        self.addresses = set(addresses)
        self.spi_present = spi_present
        self.ports = {}
        self.deinitialised = []

    def piface_class(self):
        boards = self

        class PiFaceDigital:
            def __init__(self, hardware_addr=0, bus=pifacedigitalio.core.DEFAULT_SPI_BUS,
                         chip_select=pifacedigitalio.core.DEFAULT_SPI_CHIP_SELECT,
                         init_board=True):
                if not boards.spi_present:
                    raise pifacecommon.spi.SPIInitError(
                        f"I can't see /dev/spidev{bus}.{chip_select}. "
                        "Have you enabled the SPI module?")
                self.hardware_addr = hardware_addr
                port = boards.ports.setdefault(hardware_addr, FakeOutputPort())
                self.output_pins = [FakeRegisterBit(i, port) for i in range(8)]
                self.relays = [FakeRegisterBit(i, port) for i in range(2)]
                if init_board:
                    self.init_board()

            def init_board(self):
                if self.hardware_addr not in boards.addresses:
                    raise pifacedigitalio.NoPiFaceDigitalDetectedError(
                        f"No PiFace Digital board detected (hardware_addr={self.hardware_addr}, "
                        "bus=0, chip_select=0).")
                boards.ports[self.hardware_addr].value = 0

            def deinit_board(self):
                boards.deinitialised.append(self.hardware_addr)

        return PiFaceDigital
