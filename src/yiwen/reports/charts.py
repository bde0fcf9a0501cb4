"""The report's charts as PNG images, drawn on the server with matplotlib (Agg).

Mail clients show no JavaScript charts, so the mail carries pictures. Chinese
labels need a CJK font: Debian's fonts-wqy-microhei (installed by .ci/run) is
looked up by path, then any font fontconfig knows for Chinese; without one the
chart still renders (labels as boxes) rather than failing the report.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure

CJK_FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
_CJK_NAMES = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Source Han Sans SC")
BLUE = "#2563EB"
GREEN = "#16A34A"
# pyplot's global state is not used, but font caches are shared: draw one chart at a time.
_LOCK = threading.Lock()


@cache
def cjk_font() -> str | None:
    """The family name of a font that has Chinese glyphs, registering it if found by path."""
    for path in CJK_FONT_PATHS:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    known = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_NAMES if name in known), None)


def _figure(width: float = 6.4, height: float = 3.2) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100)
    font = cjk_font()
    if font is not None:
        matplotlib.rcParams["font.family"] = [font, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return figure


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.tight_layout()
    figure.savefig(out, format="png")
    return out.getvalue()


def bar_chart(
    title: str, labels: Sequence[str], values: Sequence[float], *, unit: str = ""
) -> bytes:
    """Horizontal bars, largest on top, each labelled with its value."""
    with _LOCK:
        figure = _figure(height=max(2.4, 0.45 * len(labels) + 1.2))
        axes = figure.add_subplot()
        order = sorted(range(len(values)), key=lambda i: values[i])
        shown_labels = [labels[i] for i in order] or ["—"]
        shown_values = [values[i] for i in order] or [0]
        bars = axes.barh(shown_labels, shown_values, color=BLUE)
        axes.bar_label(bars, labels=[f"{v:g}{unit}" for v in shown_values], padding=3)
        axes.set_title(title)
        axes.spines[["top", "right"]].set_visible(False)
        axes.margins(x=0.15)
        return _png(figure)


def rate_chart(title: str, labels: Sequence[str], rates: Sequence[float | None]) -> bytes:
    """Rates as percent bars on a 0-100 scale; a rate with no cases is shown as "—"."""
    with _LOCK:
        figure = _figure()
        axes = figure.add_subplot()
        values = [0.0 if r is None else r * 100 for r in rates]
        bars = axes.bar(labels, values, color=GREEN)
        axes.bar_label(
            bars, labels=["—" if r is None else f"{r * 100:.1f}%" for r in rates], padding=2
        )
        axes.set_ylim(0, 110)
        axes.set_ylabel("%")
        axes.set_title(title)
        axes.spines[["top", "right"]].set_visible(False)
        return _png(figure)


def trend_chart(
    title: str, days: Sequence[str], counts: Sequence[int], rates: Sequence[float | None]
) -> bytes:
    """Tickets created per day (bars) with the first-contact resolution rate (line)."""
    with _LOCK:
        figure = _figure()
        axes = figure.add_subplot()
        axes.bar(days, counts, color=BLUE, label="新建工单")
        axes.set_ylabel("工单数")
        rate_axes = axes.twinx()
        rate_axes.plot(
            days,
            [math.nan if r is None else r * 100 for r in rates],
            color=GREEN,
            marker="o",
            label="首次解决率",
        )
        rate_axes.set_ylim(0, 105)
        rate_axes.set_ylabel("%")
        axes.set_title(title)
        axes.tick_params(axis="x", labelrotation=30)
        return _png(figure)
