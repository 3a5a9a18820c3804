"""Small inline-SVG charts for the self-contained HTML report (no JavaScript library, no CDN, works offline)."""

from __future__ import annotations

from html import escape

import numpy as np

PALETTE = ["#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00", "#b82e2e",
           "#316395"]
WIDTH, HEIGHT = 860, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 150, 16, 42


def _scale(values: np.ndarray, low: float, high: float, out_low: float, out_high: float) -> np.ndarray:
    span = (high - low) or 1.0
    return out_low + (values - low) / span * (out_high - out_low)


def _axes(labels: list[str], low: float, high: float, y_format: str) -> list[str]:
    parts = [f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" class="axis"/>',
             f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" class="axis"/>']
    for tick in np.linspace(low, high, 5):
        y = _scale(np.array([tick]), low, high, HEIGHT - BOTTOM, TOP)[0]
        parts.append(f'<line x1="{LEFT - 4}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{format(tick, y_format)}</text>')
    step = max(1, len(labels) // 8)
    for i in range(0, len(labels), step):
        x = _x(i, len(labels))
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{escape(labels[i])}</text>')
    return parts


def _x(i: int, n: int) -> float:
    return LEFT + (i + 0.5) * (WIDTH - LEFT - RIGHT) / max(n, 1)


def _legend(names: list[str]) -> list[str]:
    parts = []
    for k, name in enumerate(names):
        y = TOP + 14 + k * 18
        parts.append(f'<rect x="{WIDTH - RIGHT + 12}" y="{y - 9}" width="10" height="10" fill="{PALETTE[k % 10]}"/>')
        parts.append(f'<text x="{WIDTH - RIGHT + 28}" y="{y}">{escape(name)}</text>')
    return parts


def _svg(chart_id: str, title: str, body: list[str]) -> str:
    return (f'<svg id="{chart_id}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>' + "".join(body) + "</svg>")


def line_chart(chart_id: str, title: str, labels: list[str], series: dict[str, list[float]],
               y_format: str = ".2f", y_range: tuple[float, float] | None = None) -> str:
    """One line per series; NaN leaves a gap."""
    values = np.array([v for s in series.values() for v in s], dtype=float)
    finite = values[np.isfinite(values)]
    low, high = y_range or ((float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0))
    if high == low:
        high = low + 1
    body = _axes(labels, low, high, y_format)
    for k, (name, points) in enumerate(series.items()):
        ys = _scale(np.array(points, dtype=float), low, high, HEIGHT - BOTTOM, TOP)
        segments, current = [], []
        for i, y in enumerate(ys):
            if np.isfinite(y):
                current.append(f"{_x(i, len(labels)):.1f},{y:.1f}")
            elif current:
                segments.append(current)
                current = []
        if current:
            segments.append(current)
        for segment in segments:
            body.append(f'<polyline class="mark" fill="none" stroke="{PALETTE[k % 10]}" stroke-width="2" '
                        f'points="{" ".join(segment)}"><title>{escape(name)}</title></polyline>')
            if len(segment) == 1:
                x, y = segment[0].split(",")
                body.append(f'<circle class="mark" cx="{x}" cy="{y}" r="3" fill="{PALETTE[k % 10]}"/>')
    body += _legend(list(series))
    return _svg(chart_id, title, body)


def stacked_bar_chart(chart_id: str, title: str, labels: list[str], series: dict[str, list[float]],
                      y_format: str = ".0f") -> str:
    """Bars stacked per label (e.g. contacts per category per day)."""
    matrix = np.nan_to_num(np.array(list(series.values()), dtype=float))
    high = float(matrix.sum(axis=0).max()) if matrix.size else 1.0
    high = high or 1.0
    body = _axes(labels, 0.0, high, y_format)
    width = (WIDTH - LEFT - RIGHT) / max(len(labels), 1) * 0.8
    base = np.zeros(len(labels))
    for k, (name, row) in enumerate(zip(series, matrix, strict=True)):
        for i, value in enumerate(row):
            if value <= 0:
                continue
            y0 = _scale(np.array([base[i]]), 0, high, HEIGHT - BOTTOM, TOP)[0]
            y1 = _scale(np.array([base[i] + value]), 0, high, HEIGHT - BOTTOM, TOP)[0]
            body.append(f'<rect class="mark" x="{_x(i, len(labels)) - width / 2:.1f}" y="{y1:.1f}" '
                        f'width="{width:.1f}" height="{max(y0 - y1, 0.5):.1f}" fill="{PALETTE[k % 10]}">'
                        f'<title>{escape(labels[i])} {escape(name)}: {format(value, y_format)}</title></rect>')
        base += row
    body += _legend(list(series))
    return _svg(chart_id, title, body)
