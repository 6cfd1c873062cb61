"""An agent's weekly skill scores as an SVG line chart, drawn on the server.

No chart library and no script: the page gets finished SVG markup, which reads the same
offline, prints, and scales to any width (its viewBox is fixed; CSS sets the width). The
numbers are also in a table next to it, for screen readers and for reading exact values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from coach_api.trends import WeekTrend

# A small viewBox, so its text (14 units) stays readable when a phone shrinks the chart.
WIDTH, HEIGHT = 480, 230
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 36  # margins, in viewBox units
# Eight colours told apart with the common colour-vision deficiencies (Okabe & Ito, 2008);
# each line also gets its own marker shape, so colour is never the only cue.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#F0E442")
MARKERS = ("circle", "square", "diamond", "triangle")


@dataclass(frozen=True, slots=True)
class Series:
    skill: str
    colour: str
    marker: str
    points: tuple[tuple[float, float, float], ...]  # (x, y, score) in viewBox units


def skills_of(weeks: Sequence[WeekTrend]) -> list[str]:
    return sorted({skill for week in weeks for skill in week.skill_scores})


def series(weeks: Sequence[WeekTrend]) -> list[Series]:
    """One line per skill, a point for each week that scored it."""
    span = max(len(weeks) - 1, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    lines = []
    for index, skill in enumerate(skills_of(weeks)):
        points = tuple((LEFT + plot_w * (i / span if len(weeks) > 1 else 0.5),
                        TOP + plot_h * (1 - score / 100), score)
                       for i, week in enumerate(weeks)
                       if (score := week.skill_scores.get(skill)) is not None)
        lines.append(Series(skill, COLOURS[index % len(COLOURS)],
                            MARKERS[index % len(MARKERS)], points))
    return lines


def _marker(kind: str, x: float, y: float, colour: str, label: str) -> str:
    title = f"<title>{escape(label)}</title>"
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">{title}</circle>'
    if kind == "square":
        return (f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}">'
                f'{title}</rect>')
    shape = ((0, -5), (5, 0), (0, 5), (-5, 0)) if kind == "diamond" else ((0, -5), (5, 4), (-5, 4))
    corners = " ".join(f"{x + dx:.1f},{y + dy:.1f}" for dx, dy in shape)
    return f'<polygon points="{corners}" fill="{colour}">{title}</polygon>'


def _axes(weeks: Sequence[WeekTrend]) -> list[str]:
    parts = []
    for score in (0, 25, 50, 75, 100):
        y = TOP + (HEIGHT - TOP - BOTTOM) * (1 - score / 100)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     'class="grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{score}</text>')
    span = max(len(weeks) - 1, 1)
    step = max(1, len(weeks) // 4)  # at most ~5 labels, so they never overlap
    last = len(weeks) - 1
    for i, week in enumerate(weeks):
        if i % step and i != last or (i != last and last - i < step):
            continue
        x = LEFT + (WIDTH - LEFT - RIGHT) * (i / span if len(weeks) > 1 else 0.5)
        # The end labels lean inwards, so none is cut off at the chart's edge.
        anchor = "start" if i == 0 and last else "end" if i == last and last else "middle"
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 12}" text-anchor="{anchor}">'
                     f'{week.week_start.strftime("%d %b")}</text>')
    return parts


def skill_chart_svg(weeks: Sequence[WeekTrend], *, title_id: str) -> str:
    """The chart's markup; ``title_id`` names the heading that labels it."""
    parts = [f'<svg class="trend-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-labelledby="{escape(title_id)}" xmlns="http://www.w3.org/2000/svg">',
             *_axes(weeks)]
    for line in series(weeks):
        if len(line.points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in line.points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{line.colour}" '
                         'stroke-width="2"/>')
        parts.extend(_marker(line.marker, x, y, line.colour, f"{line.skill}: {score:g}")
                     for x, y, score in line.points)
    parts.append("</svg>")
    return "\n".join(parts)
