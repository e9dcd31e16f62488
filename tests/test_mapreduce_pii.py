"""`pii` on the map/reduce contract: rows mapped in any order by one instance and reduced in row
order by a fresh one give the report of a normal run (findings, stats with the rows scanned, the
recommendation), `map` writes nothing into the record or the checker, and its features survive
serialisation."""

from __future__ import annotations

import json
from pathlib import Path

from mapreduce import assert_same, comparable, map_reduce

DATA = Path(__file__).parent / "data"
EMAIL = "jane.doe" + "@" + "acme-mail.com"
CHAT = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]


def _files(tmp_path: Path) -> list[Path]:
    rows = [
        json.dumps({"messages": CHAT}),
        "{not json",
        json.dumps({"messages": CHAT, "meta": {EMAIL: "x"}}),
        f'{{"prompt": "a", "completion": "b", "k": "{EMAIL}", "k": "x"}}',
    ]
    chat = tmp_path / "chat.jsonl"
    chat.write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    # The header carries an address and the first row is unreadable (a quote never closed).
    table = tmp_path / "table.csv"
    table.write_text(f'text,{EMAIL}\n"open,x\nhello,{EMAIL}\nbye,no\n', encoding="utf-8")
    return [
        chat,
        table,
        DATA / "pii" / "fires.jsonl",
        DATA / "pii" / "preference.jsonl",
        DATA / "precision" / "llamafactory_dpo_zh_demo.json",
    ]


def test_map_then_reduce_gives_the_report_of_a_normal_run(tmp_path):
    files = _files(tmp_path)
    mapped, report = assert_same("pii", files, seeds=(7,))
    assert mapped.extras["recommendations"][0] in report.recommendations
    fields = [finding.field for finding in mapped.findings]
    assert fields.count("header[column 2]") == 1  # the header once, with its row 0 unreadable
    assert {"meta.<key>", "k (earlier value of a repeated key)"} <= set(fields)
    # Unreadable rows are not scanned: the JSON line and the CSV row with an open quote.
    readable = report.stats["rows"] - 2
    assert mapped.stats["rows_scanned"] == readable
    assert not any(EMAIL in repr(finding.model_dump()) for finding in mapped.findings)


def test_the_order_rows_are_mapped_in_changes_nothing(tmp_path):
    files = _files(tmp_path)
    first = map_reduce("pii", files, seed=1)
    second = map_reduce("pii", files, seed=2)
    assert comparable(first.findings) == comparable(second.findings)
    assert (first.stats, first.extras) == (second.stats, second.extras)
    assert first.rows_with_features == second.rows_with_features > 0
