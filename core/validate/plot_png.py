"""A plot of the validation over time, drawn with numpy into an RGB array and written as PNG with zlib + struct.

One strip per check: the per-frame score as a blue line, the threshold as a dashed red line, flagged frames
shaded red with a tick under the strip; checks that were skipped or unavailable are grey with the reason. Text
uses a built-in 5 x 7 bitmap font (upper case, digits, a little punctuation). No plotting library is needed.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Optional, Union

import numpy as np

from .result import ValidationResult

_FONT_ROWS = {
    "A": "01110 10001 10001 11111 10001 10001 10001", "B": "11110 10001 10001 11110 10001 10001 11110",
    "C": "01110 10001 10000 10000 10000 10001 01110", "D": "11110 10001 10001 10001 10001 10001 11110",
    "E": "11111 10000 10000 11110 10000 10000 11111", "F": "11111 10000 10000 11110 10000 10000 10000",
    "G": "01110 10001 10000 10111 10001 10001 01111", "H": "10001 10001 10001 11111 10001 10001 10001",
    "I": "01110 00100 00100 00100 00100 00100 01110", "J": "00111 00010 00010 00010 00010 10010 01100",
    "K": "10001 10010 10100 11000 10100 10010 10001", "L": "10000 10000 10000 10000 10000 10000 11111",
    "M": "10001 11011 10101 10101 10001 10001 10001", "N": "10001 10001 11001 10101 10011 10001 10001",
    "O": "01110 10001 10001 10001 10001 10001 01110", "P": "11110 10001 10001 11110 10000 10000 10000",
    "Q": "01110 10001 10001 10001 10101 10010 01101", "R": "11110 10001 10001 11110 10100 10010 10001",
    "S": "01111 10000 10000 01110 00001 00001 11110", "T": "11111 00100 00100 00100 00100 00100 00100",
    "U": "10001 10001 10001 10001 10001 10001 01110", "V": "10001 10001 10001 10001 10001 01010 00100",
    "W": "10001 10001 10001 10101 10101 10101 01010", "X": "10001 10001 01010 00100 01010 10001 10001",
    "Y": "10001 10001 10001 01010 00100 00100 00100", "Z": "11111 00001 00010 00100 01000 10000 11111",
    "0": "01110 10001 10011 10101 11001 10001 01110", "1": "00100 01100 00100 00100 00100 00100 01110",
    "2": "01110 10001 00001 00010 00100 01000 11111", "3": "11111 00010 00100 00010 00001 10001 01110",
    "4": "00010 00110 01010 10010 11111 00010 00010", "5": "11111 10000 11110 00001 00001 10001 01110",
    "6": "00110 01000 10000 11110 10001 10001 01110", "7": "11111 00001 00010 00100 01000 01000 01000",
    "8": "01110 10001 10001 01110 10001 10001 01110", "9": "01110 10001 10001 01111 00001 00010 01100",
    ".": "00000 00000 00000 00000 00000 01100 01100", "-": "00000 00000 00000 11111 00000 00000 00000",
    "_": "00000 00000 00000 00000 00000 00000 11111", ":": "00000 01100 01100 00000 01100 01100 00000",
    "/": "00001 00001 00010 00100 01000 10000 10000", "%": "11000 11001 00010 00100 01000 10011 00011",
    "(": "00010 00100 01000 01000 01000 00100 00010", ")": "01000 00100 00010 00010 00010 00100 01000",
    "=": "00000 00000 11111 00000 11111 00000 00000", ",": "00000 00000 00000 00000 01100 00100 01000",
    ">": "01000 00100 00010 00001 00010 00100 01000", "?": "01110 10001 00001 00010 00100 00000 00100",
    "+": "00000 00100 00100 11111 00100 00100 00000", " ": "00000 00000 00000 00000 00000 00000 00000",
}
FONT = {ch: np.array([[c == "1" for c in row] for row in rows.split()], dtype=bool) for ch, rows in _FONT_ROWS.items()}

WHITE = (255, 255, 255)
BLACK = (20, 20, 20)
GREY = (150, 150, 150)
LIGHT_GREY = (235, 235, 235)
BLUE = (30, 90, 200)
RED = (210, 30, 30)
FLAG_BG = (255, 214, 214)


def text_width(text: str, scale: int = 2) -> int:
    return len(text) * 6 * scale


def draw_text(img: np.ndarray, x: int, y: int, text: str, color: tuple[int, int, int] = BLACK, scale: int = 2) -> None:
    """Write ``text`` (upper-cased) with its top-left corner at (x, y), clipped to the image."""
    h, w = img.shape[:2]
    for i, ch in enumerate(text.upper()):
        glyph = FONT.get(ch, FONT["?"])
        big = np.repeat(np.repeat(glyph, scale, axis=0), scale, axis=1)
        gx, gy = x + i * 6 * scale, y
        ys, xs = np.nonzero(big)
        ys, xs = ys + gy, xs + gx
        ok = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
        img[ys[ok], xs[ok]] = color


def draw_line(img: np.ndarray, x0: float, y0: float, x1: float, y1: float, color: tuple[int, int, int],
              width: int = 1) -> None:
    """A straight line (sampled densely), ``width`` pixels thick."""
    n = int(max(abs(x1 - x0), abs(y1 - y0))) + 2
    xs = np.rint(np.linspace(x0, x1, n)).astype(int)
    ys = np.rint(np.linspace(y0, y1, n)).astype(int)
    h, w = img.shape[:2]
    for d in range(width):
        yy = ys + d
        ok = (yy >= 0) & (yy < h) & (xs >= 0) & (xs < w)
        img[yy[ok], xs[ok]] = color


def draw_polyline(img: np.ndarray, xs: np.ndarray, ys: np.ndarray, color: tuple[int, int, int]) -> None:
    """Connect consecutive finite points (vectorised: every segment sampled at once)."""
    ok = np.isfinite(ys[:-1]) & np.isfinite(ys[1:])
    x0, x1, y0, y1 = xs[:-1][ok], xs[1:][ok], ys[:-1][ok], ys[1:][ok]
    if x0.size == 0:
        single = np.isfinite(ys)
        draw_points = np.stack([xs[single], ys[single]], axis=1)
        for px, py in draw_points:
            draw_line(img, px, py, px, py, color, 2)
        return
    n = int(np.max(np.maximum(np.abs(x1 - x0), np.abs(y1 - y0)))) + 2
    t = np.linspace(0.0, 1.0, n)[None]
    px = np.rint(x0[:, None] + (x1 - x0)[:, None] * t).astype(int).ravel()
    py = np.rint(y0[:, None] + (y1 - y0)[:, None] * t).astype(int).ravel()
    h, w = img.shape[:2]
    for d in (0, 1):
        ok = (py + d >= 0) & (py + d < h) & (px >= 0) & (px < w)
        img[py[ok] + d, px[ok]] = color


def _nice_step(span: float, target: int = 10) -> int:
    raw = max(span / target, 1.0)
    mag = 10 ** int(np.floor(np.log10(raw)))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return int(m * mag)
    return int(10 * mag)


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def render(result: ValidationResult, title: str = "", width: int = 1200, strip_height: int = 96) -> np.ndarray:
    """The plot as a (H, W, 3) uint8 RGB array."""
    t = max(result.num_frames, 1)
    left, right, top, label_h, gap, bottom = 80, 24, 40, 22, 12, 44
    n = len(result.checks)
    height = top + n * (label_h + strip_height + gap) + bottom
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    draw_text(img, left, 10, (title or "SMPL-X Fusion validation")[: (width - left) // 12] + "", BLACK, 2)
    plot_w = width - left - right
    x_of = left + (np.arange(t) + 0.5) * plot_w / t
    col_lo = np.floor(left + np.arange(t) * plot_w / t).astype(int)
    col_hi = np.maximum(np.ceil(left + (np.arange(t) + 1) * plot_w / t).astype(int), col_lo + 1)
    y = top
    for name, c in result.checks.items():
        y0, y1 = y + label_h, y + label_h + strip_height
        finite = c.scores[np.isfinite(c.scores)]
        head = f"{name}  {c.status}"
        if c.status == "ok":
            smax = float(finite.max()) if finite.size else 0.0
            head += f"  max {_fmt(smax)} {c.unit}  threshold {_fmt(c.threshold)}  flagged {int(c.flags.sum())}"
        draw_text(img, left, y + 4, head[: plot_w // 12], BLACK, 2)
        img[y0:y1, left:width - right] = LIGHT_GREY if c.status != "ok" else WHITE
        if c.status != "ok":
            draw_text(img, left + 10, y0 + strip_height // 2 - 7, c.note[: (plot_w - 20) // 12], GREY, 2)
        else:
            ymax = max(float(finite.max()) if finite.size else 0.0, 1.5 * c.threshold, 1e-9)
            for f in c.flagged_frames:  # shade flagged frames
                img[y0:y1, col_lo[f]:col_hi[f]] = FLAG_BG
                img[y1 + 1:y1 + 7, col_lo[f]:col_hi[f]] = RED
            yt = y1 - 1 - c.threshold / ymax * (strip_height - 4)
            for xs in range(left, width - right, 12):  # dashed threshold
                draw_line(img, xs, yt, min(xs + 6, width - right - 1), yt, RED, 2)
            ys = y1 - 1 - np.clip(c.scores, 0.0, ymax) / ymax * (strip_height - 4)
            draw_polyline(img, x_of, np.where(np.isfinite(c.scores), ys, np.nan), BLUE)
            draw_text(img, 4, y0, _fmt(ymax)[:6], GREY, 1)
            if y1 - 8 - yt > 10:
                draw_text(img, 4, y1 - 8, "0", GREY, 1)
            draw_text(img, 4, int(yt) - 3, "THR", RED, 1)
        # frame of the strip
        img[y0, left:width - right] = GREY
        img[y1 - 1, left:width - right] = GREY
        img[y0:y1, left] = GREY
        img[y0:y1, width - right - 1] = GREY
        y = y1 + gap
    step = _nice_step(t)
    for f in range(0, t, step):
        x = int(x_of[f])
        img[y - gap:y - gap + 8, x] = BLACK
        label = str(int(result.frame_ids[f])) if result.frame_ids is not None else str(f)
        draw_text(img, x - text_width(label, 1) // 2, y, label, BLACK, 1)
    draw_text(img, left, y + 14, "frame (footage frame id)", BLACK, 1)
    return img


def png_bytes(rgb: np.ndarray) -> bytes:
    """(H, W, 3) uint8 -> a PNG file's bytes (8-bit RGB, no interlace, filter 0 on every row)."""
    img = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = img.shape[:2]
    raw = np.concatenate([np.zeros((h, 1), dtype=np.uint8), img.reshape(h, w * 3)], axis=1).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + \
        chunk(b"IEND", b"")


def write_png(path: Union[str, Path], rgb: np.ndarray) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(rgb))
    return path


def read_png(path: Union[str, Path]) -> np.ndarray:
    """Read back an 8-bit RGB PNG written by :func:`write_png` (filter 0 rows only), for tests."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour != 2:
                raise ValueError("only 8-bit RGB is supported")
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    rows = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, w * 3 + 1)
    if np.any(rows[:, 0] != 0):
        raise ValueError("only filter type 0 is supported")
    return rows[:, 1:].reshape(h, w, 3).copy()


def write_plot(path: Union[str, Path], result: ValidationResult, title: Optional[str] = None) -> Path:
    """Render ``result`` and write it to ``path`` as PNG."""
    return write_png(path, render(result, title or ""))


__all__ = ["FONT", "draw_text", "render", "png_bytes", "write_png", "read_png", "write_plot"]
