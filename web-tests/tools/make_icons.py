"""Draws the app icons (static/icons/icon-192.png, icon-512.png) with the standard library only.

A deep-blue rounded square with a white speech bubble holding a blue tick: "a message that is
confirmed", which is what DING is about. The same shapes are in static/icons/icon.svg.
Run: python3 web-tests/tools/make_icons.py
"""
import os
import struct
import zlib

BLUE = (0x14, 0x56, 0xB8)
WHITE = (0xFF, 0xFF, 0xFF)


def rounded_rect(x, y, x0, y0, x1, y1, r):
    if x < x0 or x > x1 or y < y0 or y > y1:
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def in_triangle(x, y, a, b, c):
    def sign(p, q, r):
        return (p[0] - r[0]) * (q[1] - r[1]) - (q[0] - r[0]) * (p[1] - r[1])
    d1, d2, d3 = sign((x, y), a, b), sign((x, y), b, c), sign((x, y), c, a)
    neg = d1 < 0 or d2 < 0 or d3 < 0
    pos = d1 > 0 or d2 > 0 or d3 > 0
    return not (neg and pos)


def near_segment(x, y, a, b, w):
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    px, py = ax + t * dx, ay + t * dy
    return (x - px) ** 2 + (y - py) ** 2 <= (w / 2) ** 2


# Geometry in units of the icon's size (0..1); icon.svg uses the same numbers times 512.
TICK = [(0.36, 0.455), (0.465, 0.555), (0.645, 0.37)]


def colour_at(u, v):
    """The colour (r, g, b, a) of one sample point."""
    if not rounded_rect(u, v, 0, 0, 1, 1, 0.22):
        return (0, 0, 0, 0)
    bubble = rounded_rect(u, v, 0.2, 0.24, 0.8, 0.66, 0.09) or in_triangle(u, v, (0.3, 0.6), (0.3, 0.8), (0.5, 0.64))
    if bubble:
        if near_segment(u, v, TICK[0], TICK[1], 0.075) or near_segment(u, v, TICK[1], TICK[2], 0.075):
            return BLUE + (255,)
        return WHITE + (255,)
    return BLUE + (255,)


def render(size, ss=3):
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter type 0
        for x in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(ss):
                for sx in range(ss):
                    c = colour_at((x + (sx + 0.5) / ss) / size, (y + (sy + 0.5) / ss) / size)
                    a = c[3]
                    acc[0] += c[0] * a
                    acc[1] += c[1] * a
                    acc[2] += c[2] * a
                    acc[3] += a
            n = ss * ss
            alpha = acc[3] / n
            if acc[3]:
                row += bytes((round(acc[0] / acc[3]), round(acc[1] / acc[3]), round(acc[2] / acc[3]), round(alpha)))
            else:
                row += b"\0\0\0\0"
        rows.append(bytes(row))
    return b"".join(rows)


def png(size):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(render(size), 9)) + chunk(b"IEND", b"")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "..", "Sources", "ZhengtongServer", "Resources", "web", "static", "icons")
    os.makedirs(out, exist_ok=True)
    for size in (192, 512):
        with open(os.path.join(out, "icon-%d.png" % size), "wb") as f:
            f.write(png(size))


if __name__ == "__main__":
    main()
