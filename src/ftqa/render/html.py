"""A self-contained, single-file HTML report: no script, no network, strict CSP.

Sections: the verdict and dataset summary, the cost estimate and recommendations, charts (token
lengths with the model limit, label/category/language distributions, findings by rule; inline
SVG from `ftqa.render.charts`), the findings grouped by rule with `file:line` and excerpts, and
the checkers that ran. Every string that comes from the dataset, a file name or a finding is
HTML-escaped (and control characters made visible); chart text is escaped by the SVG writer.
The page declares `default-src 'none'`, so even markup that slipped through could neither run a
script nor load anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ftqa.finding import Finding
from ftqa.render import charts
from ftqa.render.safe import html_text
from ftqa.render.words import config_details, config_phrase, counted
from ftqa.report import DatasetInfo, Report

CSP = "default-src 'none'; style-src 'unsafe-inline'"
MAX_BARS = 20
MAX_ROWS_PER_RULE = 200

STYLE = """
:root{--fg:#1d2330;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa;--err:#cf222e;--warn:#9a6700;
--info:#0969da;--ok:#1a7f37}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--fg)}
main{max-width:76rem;margin:0 auto;padding:1.5rem 2rem 3rem}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:2rem 0 .6rem;
border-bottom:1px solid var(--line);padding-bottom:.3rem}h3{font-size:1rem;margin:1rem 0 .4rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.92em;
word-break:break-word}
.verdict{display:flex;gap:1rem;align-items:center;flex-wrap:wrap;padding:.9rem 1.1rem;
border-radius:8px;margin:1rem 0;border:1px solid}
.verdict.pass{background:#dafbe1;border-color:#4ac26b}.verdict.fail{background:#ffebe9;
border-color:#ff8182}
.verdict strong{font-size:1.25rem}.pass strong{color:var(--ok)}.fail strong{color:var(--err)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.7rem}
.card{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:.6rem .8rem}
.card b{display:block;font-size:1.2rem}.card span{color:var(--muted);font-size:.85rem}
.cost{border:1px solid var(--line);border-radius:8px;padding:.8rem 1.1rem;background:#fff8c5}
.cost .usd{font-size:1.6rem;font-weight:600}
ul{padding-left:1.3rem}li{margin:.2rem 0}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem}
td,th{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}td.n,th.n{text-align:right;white-space:nowrap}
.error{color:var(--err)}.warning{color:var(--warn)}.info{color:var(--info)}
.sev{font-weight:600;text-transform:uppercase;font-size:.8rem}
details{border:1px solid var(--line);border-radius:8px;margin:.5rem 0;padding:.2rem .8rem}
summary{cursor:pointer;padding:.4rem 0}summary .why{color:var(--muted)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(28rem,1fr));gap:1rem}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:.5rem;background:#fff}
figure svg{height:auto;display:block}
figcaption{color:var(--muted);font-size:.85rem;padding:.2rem .3rem}
.muted{color:var(--muted)}footer{color:var(--muted);font-size:.85rem;margin-top:2rem}
"""


def _e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html_text(str(value))


def _where(finding: Finding) -> str:
    place = _e(finding.file or "")
    if finding.line is not None:
        return f"{place}:{finding.line}"
    if finding.row is not None:
        return f"{place}[row {finding.row}]"
    return place


def _summaries(report: Report) -> dict[tuple[str, str], str]:
    try:
        from ftqa.registry import rule_summaries

        summaries = rule_summaries(finding.check for finding in report.findings)
    except Exception:  # noqa: BLE001 - a broken plugin must not break the report
        return {}
    pairs: dict[tuple[str, str], str] = {}
    for key, summary in summaries.items():
        check, _, rule = key.partition("/")
        pairs[(check, rule)] = summary
    return pairs


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _usd(value: float) -> str:
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 0.01:
        return f"${value:,.2f}"
    return f"${value:.4f}"


def render_html(report: Report) -> str:
    dataset = report.dataset
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f'<meta http-equiv=Content-Security-Policy content="{CSP}">',
        '<meta name=viewport content="width=device-width,initial-scale=1">',
        f"<title>ftqa report: {_e(dataset.path)}</title>",
        f"<style>{STYLE}</style></head><body><main>",
        f"<h1>ftqa report: <code>{_e(dataset.path)}</code></h1>",
    ]
    parts += _verdict(report)
    parts += _configuration(report)
    parts += _cost(report)
    parts += _recommendations(report)
    parts += _charts(report)
    parts += _findings(report)
    parts += _checks(report)
    parts.append(
        f"<footer>ftqa {_e(report.ftqa_version)} · report schema {report.schema_version} · "
        "this page is self-contained: no scripts, no network</footer>"
    )
    parts.append("</main></body></html>\n")
    return "".join(parts)


def _card(value: str, label: str) -> str:
    return f"<div class=card><b>{value}</b><span>{label}</span></div>"


def _dataset_cards(info: DatasetInfo, label: str) -> list[str]:
    cards = [
        _card(f"{info.rows:,}", f"{label} rows"),
        _card(_e(info.format or "unknown"), f"{label} format"),
    ]
    if info.bytes is not None:
        cards.append(_card(f"{info.bytes / 1e6:,.2f} MB", f"{label} size"))
    return cards


def _verdict(report: Report) -> list[str]:
    summary = report.summary
    verdict = "pass" if summary.passed else "fail"
    parts = [
        f"<div class='verdict {verdict}'><strong>{'PASSED' if summary.passed else 'FAILED'}"
        f"</strong><span><span class=error>{counted(summary.errors, 'error')}</span>, "
        f"<span class=warning>{counted(summary.warnings, 'warning')}</span>, "
        f"<span class=info>{counted(summary.infos, 'info')}</span> · fails on "
        f"{_e(summary.fail_on.value)} and above</span></div>",
        "<div class=cards>",
    ]
    parts += _dataset_cards(report.dataset, "training")
    if report.validation is not None:
        parts += _dataset_cards(report.validation, "validation")
    tokens = report.stats.get("token_length")
    if isinstance(tokens, Mapping) and isinstance(tokens.get("total"), int):
        exact = "" if tokens.get("exact", True) else " (estimate)"
        parts.append(_card(f"{tokens['total']:,}", f"training tokens{exact}"))
    parts.append("</div>")
    files = report.dataset.files
    parts.append("<p class=muted>")
    if len(files) > 1:
        listed = ", ".join(f"<code>{_e(info.path)}</code> ({info.rows:,})" for info in files)
        parts.append(f"Files: {listed}. ")
    parts.append(f"sha256 <code>{_e(report.dataset.sha256)}</code></p>")
    return parts


def _configuration(report: Report) -> list[str]:
    phrase = config_phrase(report.config)
    if phrase is None:
        return []
    items = "".join(f"<li>{_e(item)}" for item in config_details(report.config))
    return [f"<p class=muted><b>Configuration:</b> {_e(phrase)}</p><ul class=muted>{items}</ul>"]


def _cost(report: Report) -> list[str]:
    cost = report.cost
    if cost is None:
        return []
    parts = [
        "<h2>Cost estimate</h2><div class=cost>",
        f"<div class=usd>{_usd(cost.estimate_usd)}</div>",
        f"<div>{cost.billed_tokens:,} billed tokens · {cost.epochs} epochs · "
        f"{_usd(cost.price_per_million)} per 1M tokens · <code>{_e(cost.model)}</code></div>",
    ]
    if cost.assumptions:
        parts.append("<ul>")
        parts += [f"<li>{_e(line)}</li>" for line in cost.assumptions]
        parts.append("</ul>")
    parts.append("</div>")
    tokens = report.stats.get("token_length")
    others = tokens.get("cost_range") if isinstance(tokens, Mapping) else None
    if isinstance(others, list) and others:
        parts.append(
            "<h3>Other models</h3><table><tr><th>model<th class=n>epochs<th class=n>billed "
            "tokens<th class=n>per 1M<th class=n>estimate</tr>"
        )
        for entry in others:
            if not isinstance(entry, Mapping):
                continue
            note = entry.get("approximate")
            parts.append(
                f"<tr><td><code>{_e(entry.get('model', ''))}</code>"
                + (f" <span class=muted>({_e(note)})</span>" if note else "")
                + f"<td class=n>{_e(entry.get('epochs', ''))}"
                f"<td class=n>{_number(entry.get('billed_tokens', 0))}"
                f"<td class=n>{_usd(float(entry.get('price_per_million', 0)))}"
                f"<td class=n>{_usd(float(entry.get('estimate_usd', 0)))}</tr>"
            )
        parts.append("</table>")
    return parts


def _recommendations(report: Report) -> list[str]:
    if not report.recommendations:
        return []
    items = "".join(f"<li>{_e(line)}</li>" for line in report.recommendations)
    return [f"<h2>Recommendations</h2><ul>{items}</ul>"]


def _counts(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        return {}
    return {
        str(key): count
        for key, count in value.items()
        if isinstance(count, (int, float)) and not isinstance(count, bool)
    }


def _top(counts: Mapping[str, float]) -> tuple[list[str], list[float]]:
    ranked = sorted(counts.items(), key=lambda item: -item[1])[:MAX_BARS]
    return [label for label, _ in ranked], [value for _, value in ranked]


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{caption}</figcaption></figure>"


def _charts(report: Report) -> list[str]:
    figures = [figure for figure in _chart_figures(report) if figure]
    if not figures:
        return []
    return ["<h2>Charts</h2><div class=charts>", *figures, "</div>"]


def _chart_figures(report: Report) -> Iterable[str]:
    if not charts.available():
        yield "<p class=muted>Charts need matplotlib (<code>pip install matplotlib</code>).</p>"
        return
    yield _token_chart(report)
    balance = report.stats.get("balance")
    if isinstance(balance, Mapping):
        for key, title, caption in (
            ("labels", "Labels", "Examples per label"),
            ("categories", "Categories", "Examples per task/category value"),
            ("languages", "Languages", "Examples per language (heuristic unless declared)"),
        ):
            section = balance.get(key)
            counts = _counts(section.get("counts")) if isinstance(section, Mapping) else {}
            if len(counts) < (1 if key == "labels" else 2):
                continue
            labels, values = _top(counts)
            svg = charts.bar_chart(f"c-{key}", title, labels, values, xlabel="examples")
            yield _figure(svg, caption)
        prompts = balance.get("system_prompts")
        if isinstance(prompts, Mapping) and isinstance(prompts.get("top"), list):
            entries = [e for e in prompts["top"] if isinstance(e, Mapping)]
            if len(entries) > 1:
                labels = [str(e.get("excerpt") or e.get("variant", "")) for e in entries]
                values = [float(e.get("count", 0)) for e in entries]
                svg = charts.bar_chart(
                    "c-prompts", "System prompts", labels[:MAX_BARS], values[:MAX_BARS]
                )
                yield _figure(svg, "Examples per system prompt (opening words)")
    yield _findings_chart(report)


def _token_chart(report: Report) -> str:
    tokens = report.stats.get("token_length")
    if not isinstance(tokens, Mapping):
        return ""
    histogram = tokens.get("histogram")
    if not isinstance(histogram, Mapping):
        return ""
    edges, counts = histogram.get("edges"), histogram.get("counts")
    if not (isinstance(edges, list) and isinstance(counts, list) and counts):
        return ""
    if len(edges) != len(counts) + 1:
        return ""
    limit = tokens.get("max_tokens")
    limit = limit if isinstance(limit, (int, float)) else None
    model = str(tokens.get("model") or "")
    svg = charts.histogram("c-tokens", "Tokens per example", edges, counts, limit=limit)
    estimate = "" if tokens.get("exact", True) else " (estimated counts)"
    caption = f"Token length per training example for <code>{_e(model)}</code>{estimate}"
    if limit is not None:
        caption += f"; the dashed line is the model limit ({int(limit):,} tokens)"
    return _figure(svg, caption)


def _findings_chart(report: Report) -> str:
    counts = _counts(report.stats.get("findings_by_rule"))
    if not counts:
        return ""
    severities = {
        f"{check}/{rule}": findings[0].severity.value
        for (check, rule), findings in report.by_rule().items()
    }
    labels, values = _top(counts)
    colors = [charts.COLORS.get(severities.get(label, ""), charts.BAR) for label in labels]
    svg = charts.bar_chart("c-rules", "Findings by rule", labels, values, colors=colors)
    return _figure(svg, "Findings per rule (red: error, amber: warning, blue: info)")


def _findings(report: Report) -> list[str]:
    groups = report.by_rule()
    if not groups:
        return ["<h2>Findings</h2><p>No findings.</p>"]
    totals = _counts(report.stats.get("findings_by_rule"))
    summaries = _summaries(report)
    order = sorted(
        groups.items(), key=lambda item: (-item[1][0].severity.rank, item[0][0], item[0][1])
    )
    parts = [
        "<h2>Findings</h2><table><tr><th>severity<th>rule<th class=n>count<th>what it means</tr>"
    ]
    for (check, rule), findings in order:
        severity = findings[0].severity.value
        total = int(totals.get(f"{check}/{rule}", len(findings)))
        parts.append(
            f"<tr><td class='sev {severity}'>{severity}<td><code>{_e(check)}/{_e(rule)}</code>"
            f"<td class=n>{total:,}<td>{_e(summaries.get((check, rule), ''))}</tr>"
        )
    parts.append("</table>")
    for (check, rule), findings in order:
        parts += _rule_group(check, rule, findings, totals, summaries)
    return parts


def _rule_group(
    check: str,
    rule: str,
    findings: list[Finding],
    totals: Mapping[str, float],
    summaries: Mapping[tuple[str, str], str],
) -> list[str]:
    severity = findings[0].severity.value
    total = int(totals.get(f"{check}/{rule}", len(findings)))
    shown = findings[:MAX_ROWS_PER_RULE]
    more = total - len(shown)
    opened = " open" if severity != "info" else ""
    parts = [
        f"<details{opened}><summary><span class='sev {severity}'>{severity}</span> "
        f"<code>{_e(check)}/{_e(rule)}</code> × {total:,} "
        f"<span class=why>{_e(summaries.get((check, rule), ''))}</span></summary>",
        "<table><tr><th>where<th>field<th>message<th>evidence</tr>",
    ]
    for finding in shown:
        parts.append(
            f"<tr><td><code>{_where(finding)}</code><td><code>{_e(finding.field or '')}</code>"
            f"<td>{_e(finding.message)}"
            + (f"<br><span class=muted>fix: {_e(finding.fix)}</span>" if finding.fix else "")
            + f"<td><code>{_e(finding.evidence or '')}</code></tr>"
        )
    parts.append("</table>")
    if more > 0:
        parts.append(
            f"<p class=muted>{more:,} more not listed here (see the JSON report; "
            "`max-findings-per-rule` caps the list).</p>"
        )
    parts.append("</details>")
    return parts


def _checks(report: Report) -> list[str]:
    ran = [run for run in report.checks if run.status != "skipped"]
    if not ran:
        return []
    parts = ["<h2>Checkers</h2><table><tr><th>checker<th>status<th class=n>seconds<th>note</tr>"]
    for run in ran:
        status = "error" if run.status == "failed" else ""
        parts.append(
            f"<tr><td><code>{_e(run.id)}</code><td class='{status}'>{_e(run.status)}"
            f"<td class=n>{run.seconds:.2f}<td>{_e(run.note or '')}</tr>"
        )
    skipped = [run.id for run in report.checks if run.status == "skipped"]
    parts.append("</table>")
    if skipped:
        parts.append(f"<p class=muted>Not run: {_e(', '.join(skipped))}.</p>")
    return parts
