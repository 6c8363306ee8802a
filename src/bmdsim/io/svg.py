"""A small SVG chart builder for the HTML report: linear axes, lines, markers, text.

Charts scale with their container (``viewBox``, ``width="100%"``) and take their fonts and
colours of text and grid from the page's CSS classes (``ax``, ``grid``, ``tick``,
``axlabel``). Every text is escaped; NaN values split lines.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np


def nice_ticks(lo: float, hi: float, n: int = 6) -> np.ndarray:
    """About ``n`` round tick values (1, 2, 2.5 or 5 times a power of ten) covering
    ``[lo, hi]``."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return np.array([0.0])
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * mag >= raw)
    start = math.floor(lo / step + 1e-9) * step
    stop = math.ceil(hi / step - 1e-9) * step
    return np.round(np.arange(start, stop + 0.5 * step, step), 10)


def fmt_tick(v: float) -> str:
    """A tick value without trailing zeros."""
    if abs(v) < 1e-9:
        return "0"
    return f"{v:,.6g}".replace(",", "\u2009")


def _f(v: float) -> str:
    return f"{v:.1f}"


class SvgChart:
    """One chart: a plot area with linear x/y scales inside margins, built up by calls and
    rendered by :meth:`render`.

    ``width``, ``height``: viewBox size [px]; ``margin``: (top, right, bottom, left) [px];
    ``x_range``, ``y_range``: data ranges mapped to the plot area."""

    def __init__(
        self,
        *,
        width: int = 760,
        height: int = 340,
        margin: tuple[int, int, int, int] = (16, 20, 44, 60),
        x_range: tuple[float, float],
        y_range: tuple[float, float],
        label: str = "chart",
    ) -> None:
        self.width, self.height = width, height
        self.top, self.right, self.bottom, self.left = margin
        self.x0, self.x1 = (float(v) for v in x_range)
        self.y0, self.y1 = (float(v) for v in y_range)
        if self.x1 <= self.x0:
            self.x1 = self.x0 + 1.0
        if self.y1 <= self.y0:
            self.y1 = self.y0 + 1.0
        self.label = label
        self.parts: list[str] = []

    # scales
    def px(self, x) -> np.ndarray:
        w = self.width - self.left - self.right
        return self.left + (np.asarray(x, dtype=float) - self.x0) / (self.x1 - self.x0) * w

    def py(self, y) -> np.ndarray:
        h = self.height - self.top - self.bottom
        return self.top + h - (np.asarray(y, dtype=float) - self.y0) / (self.y1 - self.y0) * h

    # drawing
    def axes(
        self, *, xlabel: str = "", ylabel: str = "", xticks=None, yticks=None, grid: bool = True
    ) -> None:
        """Frame, grid lines, ticks and axis labels."""
        xt = nice_ticks(self.x0, self.x1) if xticks is None else np.asarray(xticks, float)
        yt = nice_ticks(self.y0, self.y1) if yticks is None else np.asarray(yticks, float)
        xt = xt[(xt >= self.x0 - 1e-9) & (xt <= self.x1 + 1e-9)]
        yt = yt[(yt >= self.y0 - 1e-9) & (yt <= self.y1 + 1e-9)]
        top, bottom = self.top, self.height - self.bottom
        left, right = self.left, self.width - self.right
        out = []
        for v in xt:
            x = _f(float(self.px(v)))
            if grid:
                out.append(f'<line class="grid" x1="{x}" y1="{top}" x2="{x}" y2="{bottom}"/>')
            out.append(
                f'<text class="tick" x="{x}" y="{bottom + 16}" '
                f'text-anchor="middle">{escape(fmt_tick(v))}</text>'
            )
        for v in yt:
            y = _f(float(self.py(v)))
            if grid:
                out.append(f'<line class="grid" x1="{left}" y1="{y}" x2="{right}" y2="{y}"/>')
            out.append(
                f'<text class="tick" x="{left - 8}" y="{y}" dy="0.32em" '
                f'text-anchor="end">{escape(fmt_tick(v))}</text>'
            )
        out.append(f'<line class="ax" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>')
        out.append(f'<line class="ax" x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/>')
        if xlabel:
            out.append(
                f'<text class="axlabel" x="{(left + right) / 2:.1f}" '
                f'y="{self.height - 6}" text-anchor="middle">{escape(xlabel)}</text>'
            )
        if ylabel:
            cy = (top + bottom) / 2
            out.append(
                f'<text class="axlabel" transform="translate(14 {cy:.1f}) rotate(-90)" '
                f'text-anchor="middle">{escape(ylabel)}</text>'
            )
        self.parts.append("".join(out))

    def line(
        self,
        x,
        y,
        *,
        colour: str,
        width: float = 2.0,
        dash: str | None = None,
        opacity: float = 1.0,
        title: str | None = None,
    ) -> None:
        """A polyline through finite points (NaN breaks it)."""
        xs, ys = self.px(x), self.py(y)
        ok = np.isfinite(xs) & np.isfinite(ys)
        runs, cur = [], []
        for xv, yv, good in zip(xs, ys, ok, strict=True):
            if good:
                cur.append(f"{xv:.1f},{yv:.1f}")
            elif cur:
                runs.append(cur)
                cur = []
        if cur:
            runs.append(cur)
        extra = f' stroke-dasharray="{escape(dash)}"' if dash else ""
        tip = f"<title>{escape(title)}</title>" if title else ""
        for run in runs:
            if len(run) < 2:
                continue
            self.parts.append(
                f'<polyline fill="none" stroke="{escape(colour)}" stroke-width="{width}" '
                f'stroke-linejoin="round" stroke-linecap="round" opacity="{opacity}"{extra} '
                f'points="{" ".join(run)}">{tip}</polyline>'
            )

    def marker(
        self,
        x: float,
        y: float,
        *,
        colour: str,
        shape: str = "circle",
        size: float = 5.0,
        title: str | None = None,
        stroke: str = "#ffffff",
    ) -> None:
        """A marker: "circle", "square", "diamond", "triangle" or "star"."""
        cx, cy = float(self.px(x)), float(self.py(y))
        if not (math.isfinite(cx) and math.isfinite(cy)):
            return
        self.parts.append(shape_svg(shape, cx, cy, size, colour, stroke=stroke, title=title))

    def text(
        self,
        x: float,
        y: float,
        s: str,
        *,
        cls: str = "note",
        anchor: str = "start",
        dx: float = 0.0,
        dy: float = 0.0,
        data: bool = True,
    ) -> None:
        """Text at data (``data=True``) or pixel coordinates."""
        cx, cy = (float(self.px(x)), float(self.py(y))) if data else (x, y)
        self.parts.append(
            f'<text class="{escape(cls)}" x="{cx + dx:.1f}" y="{cy + dy:.1f}" '
            f'text-anchor="{escape(anchor)}">{escape(s)}</text>'
        )

    def rect(
        self,
        x0: float,
        x1: float,
        y0: float,
        y1: float,
        *,
        colour: str,
        opacity: float = 1.0,
        title: str | None = None,
        rx: float = 0.0,
    ) -> None:
        """A rectangle between data coordinates."""
        a, b = sorted((float(self.px(x0)), float(self.px(x1))))
        c, d = sorted((float(self.py(y0)), float(self.py(y1))))
        tip = f"<title>{escape(title)}</title>" if title else ""
        self.parts.append(
            f'<rect x="{a:.1f}" y="{c:.1f}" width="{max(b - a, 0.5):.1f}" '
            f'height="{d - c:.1f}" rx="{rx}" fill="{escape(colour)}" '
            f'opacity="{opacity}">{tip}</rect>'
        )

    def raw(self, svg: str) -> None:
        """Append already-escaped SVG markup."""
        self.parts.append(svg)

    def render(self) -> str:
        return (
            f'<svg class="chart" viewBox="0 0 {self.width} {self.height}" width="100%" '
            f'role="img" aria-label="{escape(self.label)}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(self.parts)}</svg>'
        )


def shape_svg(
    shape: str,
    cx: float,
    cy: float,
    size: float,
    colour: str,
    *,
    stroke: str = "#ffffff",
    title: str | None = None,
) -> str:
    """SVG of a marker centred at pixel ``(cx, cy)`` with radius ``size``."""
    tip = f"<title>{escape(title)}</title>" if title else ""
    c, s = escape(colour), escape(stroke)
    style = f'fill="{c}" stroke="{s}" stroke-width="1.2"'
    if shape == "square":
        return (
            f'<rect x="{cx - size:.1f}" y="{cy - size:.1f}" width="{2 * size:.1f}" '
            f'height="{2 * size:.1f}" {style}>{tip}</rect>'
        )
    if shape in ("diamond", "triangle", "star"):
        if shape == "diamond":
            ang = np.radians([0.0, 90.0, 180.0, 270.0])
            rad = np.full(4, size * 1.25)
        elif shape == "triangle":
            ang = np.radians([0.0, 120.0, 240.0])
            rad = np.full(3, size * 1.3)
        else:
            ang = np.radians(np.arange(10) * 36.0)
            rad = np.where(np.arange(10) % 2 == 0, size * 1.6, size * 0.7)
        pts = " ".join(
            f"{cx + r * math.sin(a):.1f},{cy - r * math.cos(a):.1f}"
            for a, r in zip(ang, rad, strict=True)
        )
        return f'<polygon points="{pts}" {style}>{tip}</polygon>'
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{size:.1f}" {style}>{tip}</circle>'


__all__ = ["SvgChart", "fmt_tick", "nice_ticks", "shape_svg"]
