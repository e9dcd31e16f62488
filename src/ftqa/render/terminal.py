"""Terminal report with rich: findings grouped by rule, first locations as `file:line`, a verdict.

Dataset text goes into `rich.text.Text` objects (never markup) after control characters are made
visible, so a row cannot move the cursor, change colours or forge lines of the report.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ftqa.finding import Finding, Severity
from ftqa.render.safe import terminal_text
from ftqa.render.words import config_phrase, tally
from ftqa.report import Report

STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _where(finding: Finding) -> str:
    place = terminal_text(finding.file or "")
    if finding.line is not None:
        return f"{place}:{finding.line}"
    if finding.row is not None:
        return f"{place}[row {finding.row}]"
    return place


def render_terminal(
    report: Report, console: Console, show: int = 5, rule_summaries: dict[str, str] | None = None
) -> None:
    dataset = report.dataset
    header = Text()
    header.append(f"ftqa {report.ftqa_version}", style="bold")
    header.append(f"  {terminal_text(dataset.path)}")
    if len(dataset.files) > 1:
        header.append(f" (+{len(dataset.files) - 1} files)")
    header.append(f"  {dataset.rows} rows  format: {dataset.format or 'unknown'}", style="dim")
    console.print(header)
    if report.validation is not None:
        console.print(
            Text(
                f"validation: {terminal_text(report.validation.path)}  "
                f"{report.validation.rows} rows",
                style="dim",
            )
        )
    console.print()
    counts = _counts(report)
    groups = sorted(report.by_rule().items(), key=lambda item: (-item[1][0].severity.rank, item[0]))
    for (check, rule), findings in groups:
        severity = findings[0].severity
        title = Text()
        title.append(f"{severity.value:<8}", style=STYLES[severity])
        title.append(f"{check}/{rule}", style="bold")
        total = counts.get((check, rule), len(findings))
        title.append(f" × {total}")
        summary = (rule_summaries or {}).get(f"{check}/{rule}")
        if summary:
            title.append(f"  {summary}", style="dim")
        console.print(title)
        for finding in findings[:show]:
            line = Text("  ")
            line.append(_where(finding), style="bold")
            if finding.field:
                line.append(f"  {terminal_text(finding.field)}", style="dim")
            line.append(f"  {terminal_text(finding.message)}")
            if finding.evidence:
                line.append(f"  ⟨{terminal_text(finding.evidence)}⟩", style="dim")
            console.print(line, crop=False, soft_wrap=True)
        if total > show:
            console.print(Text(f"  … and {total - show} more", style="dim"))
    for run in report.checks:
        if run.status == "failed":
            console.print(
                Text(f"checker {run.id} failed: {terminal_text(run.note or '')}", style="bold red")
            )
    _summary_numbers(report, console)
    console.print()
    console.print(_verdict(report))
    configuration = _configuration(report)
    if configuration is not None:
        console.print(configuration, soft_wrap=True)


def _summary_numbers(report: Report, console: Console) -> None:
    """Tokens, cost and the hyperparameter advice, when the run computed them."""
    tokens = report.stats.get("token_length") or {}
    per_example = (tokens.get("per_example") or {}).get("total") or {}
    cost = report.cost
    if not tokens and cost is None and not report.recommendations:
        return
    console.print()
    if tokens:
        line = Text("tokens  ", style="bold")
        line.append(f"{tokens.get('total', 0):,} total, {tokens.get('trainable', 0):,} trainable")
        if per_example:
            line.append(
                f"; per example p50 {per_example['p50']:,.0f}, p95 {per_example['p95']:,.0f}, "
                f"max {per_example['max']:,}"
            )
        limit = tokens.get("max_tokens")
        if limit:
            line.append(f" (limit {limit:,}: {tokens.get('over_limit', 0)} over)")
        if not tokens.get("exact", True):
            line.append("  ESTIMATE: no verified tokenizer", style="bold yellow")
        console.print(line)
    if cost is not None:
        line = Text("cost    ", style="bold")
        line.append(
            f"≈ ${cost.estimate_usd:,.2f}: {cost.billed_tokens:,} billed tokens "
            f"({cost.epochs} epochs × ${cost.price_per_million:g}/1M, {terminal_text(cost.model)})"
        )
        console.print(line)
    for advice in report.recommendations:
        console.print(Text("advice  ", style="bold").append(terminal_text(advice)), soft_wrap=True)


def _counts(report: Report) -> dict[tuple[str, str], int]:
    exact = report.stats.get("findings_by_rule", {})
    counts: dict[tuple[str, str], int] = {}
    for key, findings in report.by_rule().items():
        counts[key] = int(exact.get(f"{key[0]}/{key[1]}", len(findings)))
    return counts


def _verdict(report: Report) -> Text:
    summary = report.summary
    text = Text()
    if summary.passed:
        text.append("✓ PASSED", style="bold green")
    else:
        text.append("✗ FAILED", style="bold red")
    text.append(f"  {tally(summary)}  (fails on {summary.fail_on.value} and above)")
    return text


def _configuration(report: Report) -> Text | None:
    """One line under the verdict naming the configuration applied and what it changed."""
    phrase = config_phrase(report.config)
    if phrase is None:
        return None
    return Text("config: ", style="bold").append(terminal_text(phrase))
