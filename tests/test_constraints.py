"""The constraints checker: the expression parser (accepts the grammar, rejects everything else,
including Python injection), and declared constraints evaluated with pandera over real files,
one finding per violating row."""

from __future__ import annotations

import json

import pytest

import ftqa
from conftest import DATA, ROOT, run_cli
from ftqa.checks.constraints import (
    Both,
    Compare,
    Either,
    ExpressionError,
    Member,
    columns_of,
    parse,
)
from ftqa.errors import ConfigError

HERE = DATA / "constraints"
CHAT = HERE / "chat.jsonl"
LABELS = HERE / "labels.csv"


def _findings(report: dict, rule: str = "constraint-violated") -> list[dict]:
    return [f for f in report["findings"] if f["check"] == "constraints" and f["rule"] == rule]


def _run(path, config, select="constraints,balance", cli=False) -> dict:
    """The JSON report: through the CLI (`cli=True`) or the Python API."""
    if cli:
        args = ["check", str(path), "--config", str(config), "--select", select, "--format", "json"]
        result = run_cli(*args)
        assert result.returncode in (0, 1), result.stderr
        report = json.loads(result.stdout)
    else:
        report = ftqa.check(path, config=str(config), select=select.split(",")).to_dict()
    status = {run["id"]: run["status"] for run in report["checks"]}
    assert status["constraints"] == "ran", report["checks"]
    return report


def _config(tmp_path, rules: str, extra: str = "") -> str:
    path = tmp_path / "ftqa.toml"
    path.write_text(f"[constraints]\n{extra}rules = [\n{rules}\n]\n", encoding="utf-8")
    return str(path)


# -- the parser -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("tokens_total <= 4096", Compare("tokens_total", "<=", 4096)),
        ("turns >= 2", Compare("turns", ">=", 2)),
        ("label in ['pos', 'neg']", Member("label", ("pos", "neg"), False)),
        ('label not in ["spam",]', Member("label", ("spam",), True)),
        ("category == null", Compare("category", "==", None)),
        ("refusal != true", Compare("refusal", "!=", True)),
        ("response_chars < 1.5e3", Compare("response_chars", "<", 1500.0)),
        ("turns > -1", Compare("turns", ">", -1)),
        ("label == 'it\\'s'", Compare("label", "==", "it's")),
        (
            "turns >= 2 and (label == 'a' or label == 'b')",
            Both(
                (
                    Compare("turns", ">=", 2),
                    Either((Compare("label", "==", "a"), Compare("label", "==", "b"))),
                )
            ),
        ),
        (
            "turns >= 2 AND label == 'a' Or turns < 1",
            Either(
                (
                    Both((Compare("turns", ">=", 2), Compare("label", "==", "a"))),
                    Compare("turns", "<", 1),
                )
            ),
        ),
    ],
)
def test_parser_accepts(source, tree):
    assert parse(source) == tree


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("__import__('os')", "comparison"),
        ("__import__('os').system('id')", "unexpected character '.'"),
        ("open('/etc/passwd').read() == 'x'", "unexpected character '.'"),
        ("open('/etc/passwd') == 'x'", "comparison"),
        ("label.__class__ == 1", "unexpected character '.'"),
        ("turns >= 2; import os", "unexpected character ';'"),
        ("lambda: 1", "unexpected character ':'"),
        ("turns >= len(label)", "a number, a quoted string"),
        ("turns >= other_column", "a number, a quoted string"),
        ("label == f'x'", "a number, a quoted string"),
        ("turns = 2", "use `==`"),
        ("turns >= 2 and", "a column name"),
        ("(turns >= 2", "`)`"),
        ("2 <= turns", "a column name"),
        ("label in []", "empty list"),
        ("label in ['a' 'b']", "`,` or `]`"),
        ("label in ['a', null]", "null in a list"),
        ("turns < null", "never true"),
        ("refusal > true", "does not order"),
        ("turns >= 1e999", "out of range"),
        ("", "empty"),
        ("turns", "a comparison"),
        ("turns not 2", "`in`"),
        ("'turns' >= 2", "a column name"),
        ("(" * 40 + "turns >= 2" + ")" * 40, "nested"),
        ("turns >= 2 " + "and turns >= 2 " * 200, "longer than"),
    ],
)
def test_parser_rejects(source, reason):
    with pytest.raises(ExpressionError, match=None) as raised:
        parse(source)
    assert reason in str(raised.value)


def test_columns_of_lists_each_column_once_in_order():
    node = parse("turns >= 2 and (label == 'a' or turns < 9 or category != null)")
    assert columns_of(node) == ["turns", "label", "category"]


def test_injection_attempt_in_config_is_a_config_error_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    rule = f"{{ name = \"x\", check = \"__import__('os').system('touch {marker}')\" }}"
    result = run_cli("check", str(CHAT), "--config", _config(tmp_path, rule))
    assert result.returncode == 2
    assert "cannot parse" in result.stderr
    assert not marker.exists()


# -- configuration errors -----------------------------------------------------------------------


def test_unknown_column_is_a_config_error_listing_the_columns(tmp_path):
    config = _config(tmp_path, '{ name = "fits", check = "tokens <= 4096" }')
    result = run_cli("check", str(CHAT), "--config", config)
    assert result.returncode == 2
    assert "unknown column `tokens`" in result.stderr
    assert "tokens_total" in result.stderr  # the list of columns
    assert "Traceback" not in result.stderr


def test_plugin_columns_are_declared_with_extra_columns(tmp_path):
    config = _config(
        tmp_path, '{ name = "scored", check = "quality >= 0.5" }', 'extra-columns = ["quality"]\n'
    )
    report = _run(CHAT, config)
    # no checker measures `quality` here, so the constraint is reported as not evaluated
    [finding] = _findings(report, "constraint-not-evaluated")
    assert "`quality`" in finding["message"]
    assert finding["field"] == "scored"


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ('{ name = "a", check = "turns >= 2" }, { name = "a", check = "turns >= 3" }', "unique"),
        ('{ name = "has space", check = "turns >= 2" }', "constraint name"),
        ('{ name = "a", check = "turns >= 2", level = "error" }', "unknown key"),
        ('{ name = "a", check = "turns >= 2", severity = "fatal" }', "severity"),
    ],
)
def test_invalid_declarations_are_config_errors(tmp_path, rules, message):
    with pytest.raises(ConfigError, match=message):
        ftqa.check(CHAT, config=_config(tmp_path, rules))


# -- evaluation -------------------------------------------------------------------------------


def test_violations_by_row_with_file_line_name_and_severity():
    report = _run(CHAT, HERE / "policy.toml", cli=True)
    found = {(f["field"], f["line"], f["severity"]) for f in _findings(report)}
    assert found == {
        ("multi-turn", 1, "error"),
        ("multi-turn", 3, "error"),
        ("multi-turn", 5, "error"),
        ("known-category", 4, "warning"),
        ("short-answers", 7, "error"),
    }
    spam = next(f for f in _findings(report) if f["field"] == "known-category")
    assert "constraint `known-category`" in spam["message"]
    assert spam["evidence"] == "category = 'spam'"
    assert spam["row"] == 3
    assert _findings(report, "constraint-not-evaluated") == []
    assert report["summary"]["errors"] == 4


def test_null_values_are_not_judged_except_by_null_tests(tmp_path):
    rules = (
        "{ name = \"known\", check = \"category in ['billing', 'refunds', 'spam']\" },\n"
        '{ name = "has-category", check = "category != null" }'
    )
    report = _run(CHAT, _config(tmp_path, rules))
    assert {(f["field"], f["line"]) for f in _findings(report)} == {("has-category", 3)}
    stats = {c["name"]: c for c in report["stats"]["constraints"]["constraints"]}
    assert stats["known"]["evaluated"] == 6
    assert stats["has-category"]["evaluated"] == 7


def test_non_numbers_fail_numeric_comparisons(tmp_path):
    report = _run(CHAT, _config(tmp_path, '{ name = "n", check = "category >= 0" }'))
    assert len(_findings(report)) == 6  # every row with a (text) category


def test_chunk_boundaries_do_not_change_the_result(tmp_path):
    rules = (HERE / "policy.toml").read_text().split("rules = [", 1)[1].rsplit("]", 1)[0]
    small = _run(CHAT, _config(tmp_path, rules, "chunk-rows = 2\n"))
    default = _run(CHAT, HERE / "policy.toml")
    key = [(f["field"], f["line"], f["message"]) for f in _findings(default)]
    assert [(f["field"], f["line"], f["message"]) for f in _findings(small)] == key


def test_label_constraint_on_csv_rows_reports_the_csv_line(tmp_path):
    report = _run(
        LABELS, _config(tmp_path, "{ name = \"known-label\", check = \"label in ['pos', 'neg']\" }")
    )
    found = [(f["line"], f["row"], f["evidence"]) for f in _findings(report)]
    # header is line 1; `neutral` is the third row, `NEG` (case differs) the fifth
    assert found == [(4, 2, "label = 'neutral'"), (6, 4, "label = 'NEG'")]


def test_constraint_on_a_column_no_row_has_is_reported_not_silently_passed(tmp_path):
    rules = "{ name = \"known-label\", check = \"label in ['pos', 'neg']\" }"
    report = _run(CHAT, _config(tmp_path, rules))
    assert _findings(report) == []
    [finding] = _findings(report, "constraint-not-evaluated")
    assert finding["severity"] == "warning"
    assert "`label`" in finding["message"]


def test_builtin_measures_are_computed_without_their_checker(tmp_path):
    """constraints computes balance's and token_length's measures itself (the same providers),
    so a constraint is judged whether or not the checker that reports them runs."""
    config = _config(
        tmp_path,
        '{ name = "short", check = "response_chars <= 40" },\n'
        '{ name = "fits", check = "tokens_total <= 40" }',
    )
    alone = _run(CHAT, config, select="constraints")
    assert _findings(alone, "constraint-not-evaluated") == []
    together = _run(CHAT, config, select="constraints,balance,token_length")
    key = sorted((f["field"], f["line"]) for f in _findings(together))
    assert sorted((f["field"], f["line"]) for f in _findings(alone)) == key
    assert {field for field, _ in key} == {"short", "fits"}  # both fire on some rows


def test_template_tokens_are_computed_without_leakage(tmp_path):
    config = _config(tmp_path, '{ name = "clean", check = "template_tokens == 0" }')
    alone = _run(CHAT, config, select="constraints")
    assert _findings(alone, "constraint-not-evaluated") == []
    together = _run(CHAT, config, select="constraints,leakage")
    key = sorted((f["field"], f["line"]) for f in _findings(together))
    assert sorted((f["field"], f["line"]) for f in _findings(alone)) == key


def test_plugin_columns_are_reported_missing(tmp_path):
    config = _config(
        tmp_path, '{ name = "scored", check = "my_score > 0" }', 'extra-columns = ["my_score"]\n'
    )
    report = _run(CHAT, config, select="constraints")
    [finding] = _findings(report, "constraint-not-evaluated")
    assert "`my_score`" in finding["message"]
    assert "not available to constraints" in finding["message"]


def test_token_constraint_matches_the_examples_table(tmp_path):
    config = _config(tmp_path, '{ name = "fits", check = "tokens_total <= 40" }')
    report = ftqa.check(CHAT, config=config, select=["constraints", "token_length"], examples=True)
    runs = {run.id: run.status for run in report.checks}
    if runs.get("token_length") != "ran":
        pytest.skip(f"token_length did not run: {report.checks}")
    table = report.examples
    expected = sorted(int(line) for line in table.loc[table["tokens_total"] > 40, "line"])
    found = sorted(f.line for f in report.findings if f.rule == "constraint-violated")
    assert expected  # the fixture has rows over 40 tokens
    assert found == expected


def test_in_memory_rows_have_rows_but_no_lines():
    rows = [
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]},
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "yo"},
            ]
        },
    ]
    config = {"constraints": {"rules": [{"name": "system", "check": "turns >= 3"}]}}
    report = ftqa.check(rows, config=config, select=["constraints"])
    [finding] = [f for f in report.findings if f.rule == "constraint-violated"]
    assert (finding.row, finding.line) == (0, None)


def test_values_with_lone_surrogates_do_not_break_evaluation():
    rows = [{"text": "t", "label": "bad\ud800label"}, {"text": "t", "label": "ok"}]
    config = {"constraints": {"rules": [{"name": "known", "check": "label in ['ok']"}]}}
    report = ftqa.check(rows, config=config, select=["constraints"])
    assert {run.id: run.status for run in report.checks}["constraints"] == "ran"
    [finding] = [f for f in report.findings if f.rule == "constraint-violated"]
    assert finding.row == 0
    assert "\ufffd" in finding.evidence
    report.to_json().encode("utf-8")


def test_every_builtin_measure_is_a_known_column():
    """When a built-in checker adds a per-row measure, constraints must accept it by name."""
    from ftqa.checks.constraints import KNOWN_COLUMNS

    columns: set[str] = set()
    for path in (ROOT / "examples" / "support-chat.jsonl", LABELS, CHAT):
        columns |= set(ftqa.check(path, examples=True).examples.columns)
    assert columns - set(KNOWN_COLUMNS) == set()
