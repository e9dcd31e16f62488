"""`secrets` on the map/reduce contract: rows mapped in any order by one instance and reduced in
row order by a fresh one give the report of a normal run (findings, stats), `map` writes nothing
into the record or the checker, and its features survive serialisation.

Secrets are assembled at test time so that this file holds none.
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

from mapreduce import assert_same, comparable, map_reduce

RNG = random.Random(2041)
TOKEN = "gh" + "p_" + "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(36))
REAL = Path(__file__).parent / "data" / "precision" / "llamafactory_glaive_toolcall_zh_demo.json"
CHAT = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]


def _files(tmp_path: Path) -> list[Path]:
    rows = [
        json.dumps({"messages": CHAT}),
        json.dumps({"messages": [{"role": "user", "content": f"key {TOKEN} and {TOKEN}"}]}),
        "{not json",
        json.dumps({"messages": CHAT, "meta": {TOKEN: "x"}}),
        f'{{"prompt": "a", "completion": "b", "k": "{TOKEN}", "k": "x"}}',
    ]
    chat = tmp_path / "chat.jsonl"
    chat.write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    # The header carries a token and the first row is unreadable (a quote never closed).
    table = tmp_path / "table.csv"
    table.write_text(f'text,{TOKEN}\n"open,x\nhello,{TOKEN}\nbye,no\n', encoding="utf-8")
    return [chat, table, REAL]


def test_map_then_reduce_gives_the_report_of_a_normal_run(tmp_path):
    files = _files(tmp_path)
    mapped, _ = assert_same("secrets", files, seeds=(7,))
    fields = [finding.field for finding in mapped.findings]
    assert fields.count("header[column 2]") == 1  # the header once, with its row 0 unreadable
    assert {"meta.<key>", "k (earlier value of a repeated key)"} <= set(fields)
    assert mapped.stats["rows_with_secrets"] > 3  # the real file's hard-coded passwords count
    assert not any(TOKEN in repr(finding.model_dump()) for finding in mapped.findings)


def test_the_order_rows_are_mapped_in_changes_nothing(tmp_path):
    files = _files(tmp_path)
    first = map_reduce("secrets", files, seed=1)
    second = map_reduce("secrets", files, seed=2)
    assert comparable(first.findings) == comparable(second.findings)
    assert first.stats == second.stats
    assert first.rows_with_features == second.rows_with_features > 0
