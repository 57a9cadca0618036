"""Charts as server-rendered SVG: no script, readable by screen readers (each chart has a title,
a description, and every bar its label and value), and printable."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

# Dark enough on white for text (≥ 4.5:1) and told apart by more than hue (see the legend).
SERIES_COLOURS = ("#1f4e8c", "#b34700", "#2e6b30", "#6b2e8c", "#8c1f3a", "#4d4d4d")
WIDTH = 720
BAR_HEIGHT = 34
LABEL_WIDTH = 170


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    note: str = ""  # shown after the value, e.g. "38%"


def _svg(chart_id: str, title: str, description: str, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" data-chart="{chart_id}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def horizontal_bars(chart_id: str, title: str, bars: Sequence[Bar], unit: str) -> Markup:
    """One bar per row, longest first as given; the value is written at the bar's end."""
    top = max((bar.value for bar in bars), default=0) or 1
    span = WIDTH - LABEL_WIDTH - 110
    body: list[str] = []
    for row, bar in enumerate(bars):
        y = 10 + row * (BAR_HEIGHT + 12)
        length = round(span * bar.value / top)
        text = f"{bar.value}{unit}" + (f"（{bar.note}）" if bar.note else "")
        body.append(
            f'<g class="bar" data-label="{escape(bar.label)}" data-value="{bar.value}">'
            f"<title>{escape(bar.label)}：{escape(text)}</title>"
            f'<text x="{LABEL_WIDTH - 10}" y="{y + 24}" text-anchor="end">'
            f"{escape(bar.label)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{max(length, 2)}" height="{BAR_HEIGHT}" '
            f'fill="{SERIES_COLOURS[0]}"/>'
            f'<text x="{LABEL_WIDTH + max(length, 2) + 8}" y="{y + 24}">{escape(text)}</text></g>'
        )
    description = "；".join(f"{bar.label} {bar.value}{unit}" for bar in bars) or "暂无数据"
    return _svg(chart_id, title, description, 20 + len(bars) * (BAR_HEIGHT + 12), body)


def stacked_columns(
    chart_id: str, title: str, columns: Sequence[str], series: Mapping[str, Sequence[int]]
) -> Markup:
    """One column per period (e.g. week), stacked by series (e.g. channel), total on top."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(columns))]
    top = max(totals, default=0) or 1
    plot_top, plot_height, left = 40, 260, 20
    column_width = (WIDTH - left) / max(len(columns), 1)
    bar_width = column_width * 0.6
    body: list[str] = []
    for i, column in enumerate(columns):
        x = left + i * column_width + (column_width - bar_width) / 2
        base: float = plot_top + plot_height
        for colour, (name, values) in zip(SERIES_COLOURS, series.items(), strict=False):
            value = values[i]
            if not value:
                continue
            height = plot_height * value / top
            base -= height
            body.append(
                f'<rect class="segment" data-label="{escape(column)} {escape(name)}" '
                f'data-value="{value}" x="{x:.1f}" y="{base:.1f}" width="{bar_width:.1f}" '
                f'height="{height:.1f}" fill="{colour}" stroke="#fff" stroke-width="1">'
                f"<title>{escape(column)} {escape(name)}：{value}</title></rect>"
            )
        body.append(
            f'<text x="{x + bar_width / 2:.1f}" y="{base - 8:.1f}" text-anchor="middle" '
            f'data-total="{totals[i]}">{totals[i]}</text>'
            f'<text x="{x + bar_width / 2:.1f}" y="{plot_top + plot_height + 28}" '
            f'text-anchor="middle">{escape(column)}</text>'
        )
    description = "；".join(
        f"{column}：" + "，".join(f"{name} {values[i]}" for name, values in series.items())
        for i, column in enumerate(columns)
    )
    return _svg(chart_id, title, description or "暂无数据", plot_top + plot_height + 44, body)


def legend(series: Sequence[str]) -> list[tuple[str, str]]:
    """(name, colour) pairs in the order stacked_columns draws them."""
    return list(zip(series, SERIES_COLOURS, strict=False))
