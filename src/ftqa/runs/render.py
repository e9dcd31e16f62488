"""`ftqa runs analyze` output: terminal (with loss sparklines), JSON, Markdown and HTML (inline
SVG curves with the turning point marked; no script, the check report's CSP).

Text that may come from the run or the dataset (a provider's error, a file name) has passed
the outbound layer in the report's models; each format adds its own escaping here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ftqa.render import charts
from ftqa.render.html import CSP, STYLE
from ftqa.render.safe import html_text, json_escape_hidden, markdown_code, markdown_text
from ftqa.render.safe import terminal_text as tt
from ftqa.render.words import counted
from ftqa.runs.report import RunReport

if TYPE_CHECKING:
    from rich.console import Console

BARS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 48
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "blue"}


def sparkline(values: Sequence[float], width: int = SPARK_WIDTH) -> str:
    """Unicode block characters, one per bucket of `values` (bucket means), min to max."""
    finite = [v for v in values if v == v and abs(v) != float("inf")]
    if not finite:
        return ""
    if len(finite) > width:
        size = len(finite) / width
        finite = [
            sum(chunk) / len(chunk)
            for i in range(width)
            if (chunk := finite[int(i * size) : max(int((i + 1) * size), int(i * size) + 1)])
        ]
    low, high = min(finite), max(finite)
    span = (high - low) or 1.0
    return "".join(BARS[min(7, int((v - low) / span * 8))] for v in finite)


def _values(report: RunReport, name: str) -> list[float]:
    return [value for _, _, value in report.series[name] if value is not None]


def _headline(report: RunReport) -> str:
    curve = report.curve
    epochs = f", {curve.epochs:g} epochs" if curve.epochs else ""
    return (
        f"{report.source.path} ({report.source.kind}): {curve.steps} steps{epochs}, "
        f"{counted(curve.train_points, 'training loss point')}, "
        f"{counted(curve.valid_points, 'validation loss point')}"
    )


def _verdict(report: RunReport) -> str:
    s = report.summary
    word = "PASSED" if s.passed else "FAILED"
    return (
        f"{'✓' if s.passed else '✗'} {word}  {counted(s.errors, 'error')}, "
        f"{counted(s.warnings, 'warning')}, {counted(s.infos, 'info')}  "
        f"(fails on {s.fail_on.value} and above)"
    )


def render_terminal(report: RunReport, console: Console) -> None:
    from rich.text import Text  # rich only for the terminal: a check's CLI start-up skips it

    console.print(Text(tt(_headline(report)), style="bold"))
    for name, label in (("train_loss", "train loss"), ("valid_loss", "valid loss")):
        values = _values(report, name)
        if values:
            line = Text(f"  {label:<11}", style="bold")
            line.append(sparkline(values))
            line.append(f"  {values[0]:.3f} → {values[-1]:.3f} (min {min(values):.3f})")
            console.print(line)
    if report.curve.turning_step is not None:
        console.print(Text(f"  turning point: step {report.curve.turning_step}", style="red"))
    for finding in report.findings:
        line = Text(f"{finding.severity.value:<8}", style=SEVERITY_STYLE[finding.severity.value])
        line.append(f"runs/{finding.rule}  ", style="bold")
        line.append(tt(finding.message))
        console.print(line, soft_wrap=True)
    for advice in report.advice:
        line = Text(f"advice  {advice.topic}: ", style="bold")
        line.append(tt(advice.text))
        console.print(line, soft_wrap=True)
    console.print(Text(_verdict(report), style="green" if report.summary.passed else "red"))


def render_json(report: RunReport) -> str:
    return json_escape_hidden(report.to_json(indent=2)) + "\n"


def render_markdown(report: RunReport) -> str:
    lines = [f"## ftqa runs analyze: {markdown_code(report.source.path)}", ""]
    lines += [markdown_text(_headline(report)), ""]
    for name, label in (("train_loss", "train loss"), ("valid_loss", "valid loss")):
        values = _values(report, name)
        if values:
            lines.append(f"- {label}: `{sparkline(values)}` {values[0]:.3f} → {values[-1]:.3f}")
    lines += ["", f"**{markdown_text(_verdict(report))}**", ""]
    if report.findings:
        lines += ["| Severity | Rule | Message |", "| --- | --- | --- |"]
        lines += [
            f"| {f.severity.value} | `runs/{f.rule}` | {markdown_text(f.message)} |"
            for f in report.findings
        ]
        lines.append("")
    if report.advice:
        lines += ["### Next round", ""]
        lines += [f"- **{a.topic}**: {markdown_text(a.text)}" for a in report.advice]
        lines.append("")
    return "\n".join(lines)


def _chart(report: RunReport, prefix: str, title: str, names: tuple[str, str], y: str) -> str:
    lines = []
    for name, label in zip(names, ("training", "validation"), strict=True):
        points = [(step, value) for step, _, value in report.series[name] if value is not None]
        if points:
            lines.append((label, [p[0] for p in points], [p[1] for p in points]))
    if not lines:
        return ""
    turning = report.curve.turning_step
    mark = (float(turning), f"turned at step {turning}") if turning is not None else None
    svg = charts.line_chart(prefix, title, lines, xlabel="step", ylabel=y, mark=mark)
    return f"<figure>{svg}<figcaption>{html_text(title)}</figcaption></figure>"


def render_html(report: RunReport) -> str:
    e = html_text
    s = report.summary
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f'<meta http-equiv=Content-Security-Policy content="{CSP}">',
        '<meta name=viewport content="width=device-width,initial-scale=1">',
        f"<title>ftqa run analysis: {e(report.source.path)}</title>",
        f"<style>{STYLE}</style></head><body><main>",
        f"<h1>ftqa run analysis: <code>{e(report.source.path)}</code></h1>",
        f'<div class="verdict {"pass" if s.passed else "fail"}"><strong>{e(_verdict(report))}'
        f"</strong><span>{e(_headline(report))}</span></div>",
    ]
    if charts.available():
        figures = [
            _chart(report, "loss", "Loss", ("train_loss", "valid_loss"), "loss"),
            _chart(
                report, "acc", "Token accuracy", ("train_accuracy", "valid_accuracy"), "accuracy"
            ),
        ]
        parts.append(f'<div class="charts">{"".join(figures)}</div>')
    parts.append("<h2>Findings</h2>")
    if report.findings:
        parts.append("<table><tr><th>Severity</th><th>Rule</th><th>Message</th></tr>")
        parts += [
            f'<tr><td class="sev {f.severity.value}">{f.severity.value}</td>'
            f"<td><code>runs/{e(f.rule)}</code></td><td>{e(f.message)}</td></tr>"
            for f in report.findings
        ]
        parts.append("</table>")
    else:
        parts.append('<p class="muted">Nothing to report: the curve looks healthy.</p>')
    if report.advice:
        parts.append("<h2>Next round</h2><ul>")
        parts += [f"<li><b>{e(a.topic)}</b>: {e(a.text)}</li>" for a in report.advice]
        parts.append("</ul>")
    parts.append("</main></body></html>\n")
    return "".join(parts)


RENDERERS = {"json": render_json, "markdown": render_markdown, "html": render_html}
