"""A real headless Chromium (Debian's ``chromium``) opening a page the tests wrote.

``dump_dom(page)`` is the page's DOM after it loaded (scripts, had any run, would
have changed it); ``screenshot(page, png)`` renders it to a PNG, and
:class:`Png` reads the pixels back (its size, how many different rows of pixels:
a blank page has one; the colour at a point). Every run gets a fresh profile
directory and no network, sync, component updates or first-run screens.

``unavailable_reason()`` is why Chromium cannot run here (None when it can):
tests skip with it, or fail when ``CI`` is set (scripts/setup installs it).
"""

import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

BINARIES = ("chromium", "chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars", "--mute-audio")


def binary():
    for name in BINARIES:
        found = shutil.which(name)
        if found:
            return found
    return None


def unavailable_reason():
    if binary() is None:
        return ("no chromium on PATH (Debian: apt-get install chromium chromium-driver; "
                "scripts/setup --tests does it as root)")
    return None


def _run(page, *flags, timeout=120):
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        proc = subprocess.run([binary(), *FLAGS, f"--user-data-dir={profile}", *flags,
                               Path(page).resolve().as_uri()],
                              capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"chromium exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def dump_dom(page):
    """The serialised DOM of ``page`` once it has loaded."""
    return _run(page, "--dump-dom").stdout


def screenshot(page, png, width=1280, height=900):
    """Render ``page`` into ``png`` (``width`` x ``height``); the PNG's path."""
    _run(page, f"--screenshot={png}", f"--window-size={width},{height}")
    return Path(png)


class Png:
    """The pixels of a PNG as Chromium writes them (8-bit RGB or RGBA, not interlaced)."""

    def __init__(self, png):
        data = Path(png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
        pos, chunks = 8, {}
        while pos < len(data):
            length, kind = struct.unpack(">I4s", data[pos:pos + 8])
            chunks.setdefault(kind, []).append(data[pos + 8:pos + 8 + length])
            pos += 12 + length
        self.width, self.height, depth, colour = struct.unpack(">IIBB",
                                                               chunks[b"IHDR"][0][:10])
        assert depth == 8 and colour in (2, 6), (depth, colour)
        self.channels = 3 if colour == 2 else 4
        self.rows = self._unfilter(zlib.decompress(b"".join(chunks[b"IDAT"])))

    def _unfilter(self, raw):
        channels, stride = self.channels, self.width * self.channels
        rows, previous = [], bytearray(stride)
        for y in range(self.height):
            start = y * (stride + 1)
            kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
            for x in range(stride):
                left = line[x - channels] if x >= channels else 0
                up = previous[x]
                corner = previous[x - channels] if x >= channels else 0
                if kind == 1:
                    line[x] = (line[x] + left) & 0xFF
                elif kind == 2:
                    line[x] = (line[x] + up) & 0xFF
                elif kind == 3:
                    line[x] = (line[x] + (left + up) // 2) & 0xFF
                elif kind == 4:
                    estimate = left + up - corner
                    pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                    best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                    line[x] = (line[x] + best) & 0xFF
            rows.append(bytes(line))
            previous = line
        return rows

    @property
    def distinct_rows(self):
        return len(set(self.rows))

    def pixel(self, x, y):
        """``(r, g, b)`` at ``x``, ``y``."""
        start = x * self.channels
        return tuple(self.rows[y][start:start + 3])

    def column(self, x):
        """The colours down column ``x``, each run of one colour once: ``[(colour, first y)]``."""
        runs = []
        for y in range(self.height):
            colour = self.pixel(x, y)
            if not runs or runs[-1][0] != colour:
                runs.append((colour, y))
        return runs
