"""LOLWUT: Redis's computer-art easter egg. `LOLWUT VERSION 5` draws Georg Nees's "Schotter"
(1968) in Braille characters, squares tilting more the lower they sit; any other version
prints the version line, as Redis 7 does. (`VERSION 6`, Redis 6's pixel-art skyline, is drawn
as the version line too: see docs/architecture.md.)"""

import math
import random
import struct

from ..command_table import command
from ..replies import Verbatim
from .common import to_int

VERSION_LINE = "Redis ver. {}\n"
SCHOTTER_CAPTION = "\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. {}\n"


def _f32(value: float) -> float:
    """Rounded to a C float: Redis computes the drawing in single precision."""
    return struct.unpack("f", struct.pack("f", value))[0]


def _round(value: float) -> int:
    """C's round(): halves away from zero."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


class Canvas:
    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.pixels = bytearray(width * height)

    def set(self, x: int, y: int) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.pixels[x + y * self.width] = 1

    def get(self, x: int, y: int) -> int:
        if 0 <= x < self.width and 0 <= y < self.height:
            return self.pixels[x + y * self.width]
        return 0

    def line(self, x1: int, y1: int, x2: int, y2: int) -> None:
        """Bresenham's line, both ends included."""
        dx, dy = abs(x2 - x1), abs(y2 - y1)
        sx, sy = (1 if x1 < x2 else -1), (1 if y1 < y2 else -1)
        err = dx - dy
        while True:
            self.set(x1, y1)
            if x1 == x2 and y1 == y2:
                return
            twice = err * 2
            if twice > -dy:
                err -= dy
                x1 += sx
            if twice < dx:
                err += dx
                y1 += sy

    def square(self, x: int, y: int, size: float, angle: float) -> None:
        """A square centred on (x, y), rotated by `angle`; `size` is its diagonal's reach."""
        size = _round(_f32(size / 1.4142135623))
        k = _f32(math.pi / 4 + angle)
        corners = []
        for _ in range(4):
            corners.append((_round(math.sin(k) * size + x), _round(math.cos(k) * size + y)))
            k = _f32(k + math.pi / 2)
        for j in range(4):
            self.line(*corners[j], *corners[(j + 1) % 4])

    def braille(self) -> str:
        """Each character shows 2x4 pixels (U+2800 + the dots' bits)."""
        dots = ((0, 0, 0), (0, 1, 1), (0, 2, 2), (1, 0, 3), (1, 1, 4), (1, 2, 5), (0, 3, 6),
                (1, 3, 7))
        rows = []
        for y in range(0, self.height, 4):
            row = "".join(
                chr(0x2800 + sum(self.get(x + dx, y + dy) << bit for dx, dy, bit in dots))
                for x in range(0, self.width, 2))
            rows.append(row + ("\n" if y != self.height - 1 else ""))
        return "".join(rows)


def schotter(columns: int, per_row: int, per_column: int, rand=random.random) -> Canvas:
    width = columns * 2
    padding = 2 if width > 4 else 0
    side = _f32(_f32(width - padding * 2) / per_row)
    canvas = Canvas(width, int(_f32(_f32(side * per_column) + padding * 2)))
    for row in range(per_column):
        for column in range(per_row):
            sx = int(_f32(_f32(_f32(column * side) + _f32(side / 2)) + padding))
            sy = int(_f32(_f32(_f32(row * side) + _f32(side / 2)) + padding))
            angle = 0.0
            if row > 1:  # the disorder grows row by row
                r1, r2, r3 = (rand() / per_column * row * (-1 if rand() < 0.5 else 1)
                              for _ in range(3))
                angle = r1
                sx = int(sx + r2 * side / 3)
                sy = int(sy + r3 * side / 3)
            canvas.square(sx, sy, side, angle)
    return canvas


@command("lolwut", -1, "readonly fast", (0, 0, 0), "server", "Displays computer art and the "
         "Redis version", "5.0.0")
def lolwut(client, args):
    from ..app import VERSION

    version = None
    if len(args) >= 3 and args[1].lower() == b"version":
        version = to_int(args[2])
    if version != 5:
        return Verbatim(VERSION_LINE.format(VERSION))
    sizes = [to_int(arg) for arg in args[3:6]]
    columns, per_row, per_column = sizes + [66, 8, 12][len(sizes):]
    columns = min(max(columns, 1), 1000)
    per_row = min(max(per_row, 1), 200)
    per_column = min(max(per_column, 1), 200)
    art = schotter(columns, per_row, per_column).braille()
    return Verbatim(art + SCHOTTER_CAPTION.format(VERSION))
