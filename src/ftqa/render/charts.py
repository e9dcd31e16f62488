"""Static SVG charts for the HTML report, drawn with matplotlib.

Why matplotlib: it writes plain, static SVG (no script, so the report's strict Content-Security-
Policy holds and nothing can execute), it XML-escapes every piece of text it writes, its output
is reproducible (`svg.hashsalt`, no date), it needs no browser or network, and it is among the
best-maintained Python libraries. pygal was the alternative: its SVG carries a script block and
a tooltip script from a CDN by default, which the report's CSP would block (a console error).

Dataset strings (labels, categories) are made safe before matplotlib sees them: passed through
the outbound layer (secrets and personal data masked) even though the report's statistics
already were, control characters made visible, `$` escaped (matplotlib would otherwise parse
`$...$` as math), long values shortened. The SVG is inlined into the HTML, so element ids are
prefixed per chart to keep them unique in the document. When matplotlib is not installed,
charts are skipped.
"""

from __future__ import annotations

import html
import io
import itertools
import logging
import re
import warnings
from collections.abc import Sequence
from typing import Any

from ftqa.outbound import outbound
from ftqa.render.safe import terminal_text

LABEL_CHARS = 32
COLORS = {"error": "#cf222e", "warning": "#bf8700", "info": "#0969da"}
BAR = "#4c72b0"
LIMIT = "#cf222e"

_SURROGATES = re.compile("[\ud800-\udfff]")
_PROLOG = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_SIZE = re.compile(r'<svg([^>]*?) width="([\d.]+)pt" height="([\d.]+)pt"')
_IDS = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def chart_label(text: str) -> str:
    """A dataset string made safe and short for a chart axis."""
    flat = _SURROGATES.sub("\ufffd", terminal_text(outbound(str(text))))
    if len(flat) > LABEL_CHARS:
        flat = flat[: LABEL_CHARS - 1] + "…"
    return flat.replace("\\", "\\\\").replace("$", r"\$") or "(empty)"


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=72, layout="constrained")
    return figure


def _style(axes: Any, counts: str = "x") -> None:
    from matplotlib.ticker import MaxNLocator

    (axes.xaxis if counts == "x" else axes.yaxis).set_major_locator(MaxNLocator(integer=True))
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    axes.tick_params(labelsize=9)
    axes.grid(axis="x", color="#d0d7de", linewidth=0.6)
    axes.set_axisbelow(True)


def _svg(figure: Any, prefix: str, title: str) -> str:
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buffer = io.StringIO()
    settings = {
        "svg.fonttype": "none",
        "svg.hashsalt": "ftqa",
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],
    }
    logger = logging.getLogger("matplotlib")
    level = logger.level
    logger.setLevel(logging.ERROR)  # missing-glyph chatter for scripts DejaVu lacks
    try:
        with matplotlib.rc_context(settings), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None})
    finally:
        logger.setLevel(level)
    svg = _PROLOG.sub("", buffer.getvalue(), count=1)
    svg = _METADATA.sub("", svg, count=1)
    svg = _SIZE.sub(
        lambda match: (
            f'<svg{match.group(1)} width="100%" style="max-width:{match.group(2)}pt"'
            f' role="img" aria-label="{html.escape(title, quote=True)}"'
        ),
        svg,
        count=1,
    )
    svg = _IDS.sub(lambda match: f"{match.group(1)}{prefix}-{match.group(2)}", svg)
    return svg.strip()


def bar_chart(
    prefix: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    colors: Sequence[str] | None = None,
    xlabel: str | None = None,
) -> str:
    """Horizontal bars, largest first from the top; labels are dataset text (made safe)."""
    shown = [chart_label(label) for label in labels]
    height = 1.1 + 0.28 * len(shown)
    figure = _figure(7.5, min(height, 9.0))
    axes = figure.add_subplot()
    positions = list(range(len(shown)))[::-1]
    bars = axes.barh(positions, values, color=list(colors) if colors else BAR, height=0.7)
    axes.set_yticks(positions, shown)
    axes.bar_label(bars, labels=[f"{value:,.0f}" for value in values], padding=3, fontsize=8)
    axes.set_title(chart_label_title(title), fontsize=11, loc="left")
    if xlabel:
        axes.set_xlabel(chart_label_title(xlabel), fontsize=9)
    axes.margins(x=0.12)
    _style(axes)
    return _svg(figure, prefix, title)


def chart_label_title(text: str) -> str:
    """Titles are ours, but may include a file or model name: same treatment, no shortening."""
    return _SURROGATES.sub("\ufffd", terminal_text(text)).replace("$", r"\$")


def histogram(
    prefix: str,
    title: str,
    edges: Sequence[float],
    counts: Sequence[int],
    *,
    limit: float | None = None,
    xlabel: str = "tokens per example",
) -> str:
    """Bars between consecutive edges; the model limit as a red line when it is in sight."""
    figure = _figure(7.5, 3.2)
    axes = figure.add_subplot()
    widths = [high - low for low, high in itertools.pairwise(edges)]
    axes.bar(edges[:-1], counts, width=widths, align="edge", color=BAR, edgecolor="white")
    axes.set_title(chart_label_title(title), fontsize=11, loc="left")
    axes.set_xlabel(xlabel, fontsize=9)
    axes.set_ylabel("examples", fontsize=9)
    if limit is not None and edges:
        span = edges[-1] - edges[0]
        if limit <= edges[-1] + span * 0.5:
            axes.axvline(limit, color=LIMIT, linewidth=1.6, linestyle="--")
            axes.annotate(
                f"model limit {limit:,.0f}",
                xy=(limit, 1),
                xycoords=("data", "axes fraction"),
                xytext=(-4, -4),
                textcoords="offset points",
                ha="right",
                va="top",
                color=LIMIT,
                fontsize=9,
            )
        else:
            axes.annotate(
                f"model limit {limit:,.0f} is far right of the longest example",
                xy=(1, 1),
                xycoords="axes fraction",
                ha="right",
                va="top",
                color=LIMIT,
                fontsize=9,
            )
    _style(axes, counts="y")
    axes.grid(axis="y", color="#d0d7de", linewidth=0.6)
    axes.grid(axis="x", visible=False)
    return _svg(figure, prefix, title)


def line_chart(
    prefix: str,
    title: str,
    lines: Sequence[tuple[str, Sequence[float], Sequence[float]]],
    *,
    xlabel: str,
    ylabel: str,
    mark: tuple[float, str] | None = None,
) -> str:
    """Curves (label, x values, y values), e.g. training and validation loss over steps; `mark`
    draws a dashed vertical line at x with its label (a turning point). Labels are ours."""
    figure = _figure(7.5, 3.4)
    axes = figure.add_subplot()
    for index, (label, xs, ys) in enumerate(lines):
        style = {"marker": "o", "markersize": 3} if len(xs) <= 40 else {}
        axes.plot(xs, ys, label=chart_label_title(label), color=CURVES[index % 4], **style)
    if mark is not None:
        axes.axvline(mark[0], color=LIMIT, linewidth=1.4, linestyle="--")
        axes.annotate(
            chart_label_title(mark[1]),
            xy=(mark[0], 1),
            xycoords=("data", "axes fraction"),
            xytext=(4, -4),
            textcoords="offset points",
            ha="left",
            va="top",
            color=LIMIT,
            fontsize=9,
        )
    axes.set_title(chart_label_title(title), fontsize=11, loc="left")
    axes.set_xlabel(xlabel, fontsize=9)
    axes.set_ylabel(ylabel, fontsize=9)
    axes.legend(fontsize=8, frameon=False)
    _style(axes, counts="x")
    axes.grid(axis="y", color="#d0d7de", linewidth=0.6)
    return _svg(figure, prefix, title)


CURVES = ("#4c72b0", "#dd8452", "#55a868", "#8172b3")
