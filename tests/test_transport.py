"""What workers send back: mapped rows travel as MessagePack (findings as pickles) and come
back equal, tuples aside; rows MessagePack cannot carry travel as pickles, and rows that cannot
be read back are mapped again on the reduce side. The last tests run a real plugin through
real worker processes."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from ftqa.engine.mapping import MappedRow
from ftqa.engine.transport import TransportError, pack_rows, unpack_rows
from ftqa.engine.worker import JobResult
from ftqa.finding import Finding, Severity
from ftqa.report_compare import run_independent
from ftqa.rowresult import RowResult
from plugin_dist import check_with_plugin, installed_plugin


def _finding(rule: str, row: int) -> Finding:
    return Finding(
        check="pii",
        rule=rule,
        severity=Severity.WARNING,
        message="an email address",
        file="a.jsonl",
        line=row + 1,
        row=row,
    )


def _rows() -> list[MappedRow]:
    first, second, third = _finding("email-address", 2), _finding("a", 5), _finding("b", 5)
    return [
        MappedRow(2, 3, "chat", [(0, RowResult([first], [b"k" * 16, "text", 7], {"a": 1}))]),
        MappedRow(-1, None, None, [], None),
        MappedRow(
            5,
            6,
            "chat",
            [(1, RowResult([second, third])), (3, RowResult(features=[1, 2.5, None, True]))],
            (2, "label", {"x": None}),
        ),
    ]


def test_mapped_rows_round_trip_through_pickle():
    rows = _rows()
    back = pickle.loads(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == rows
    assert isinstance(back[0].results[0][1], RowResult)


def test_mapped_rows_round_trip_through_messagepack():
    rows = _rows()
    packed = pack_rows(rows)
    assert packed is not None
    data, findings = packed
    assert [f.rule for f in findings] == ["email-address", "a", "b"]
    back, combined = unpack_rows(data, findings)
    assert combined == []
    assert back == rows
    assert back[2].example == (2, "label", {"x": None})
    assert [f.rule for f in back[2].results[0][1].findings] == ["a", "b"]
    assert back[2].results[1][1].findings == ()


def test_tuples_come_back_as_lists_as_from_the_row_cache():
    rows = [MappedRow(0, 1, "chat", [(0, RowResult(features=(b"k", ("a", 1))))])]
    packed = pack_rows(rows)
    assert packed is not None
    assert unpack_rows(*packed)[0][0].results[0][1].features == [b"k", ["a", 1]]


@pytest.mark.parametrize("features", [np.int64(3), 2**70, {"a": {1, 2}}])
def test_features_messagepack_cannot_carry_travel_as_pickles(features: object):
    rows = [MappedRow(0, 1, "chat", [(0, RowResult(features=features))])]
    assert pack_rows(rows) is None
    result = JobResult(rows=list(rows)).for_transport()
    assert result.packed is None
    assert pickle.loads(pickle.dumps(result)).mapped_rows()[0].results[0][1].features == features


def test_rows_that_cannot_be_read_back_raise_a_transport_error():
    rows = [MappedRow(0, 1, "chat", [(0, RowResult(features={("a", 1): 2}))])]
    packed = pack_rows(rows)  # a tuple key packs as an array, which cannot key a dict again
    assert packed is not None
    with pytest.raises(TransportError):
        unpack_rows(*packed)
    with pytest.raises(TransportError):
        unpack_rows(b"\xc1", [])
    with pytest.raises(TransportError, match="3 findings sent, 0 placed"):
        unpack_rows(pack_rows([])[0], [_finding("a", 1)] * 3)  # type: ignore[index]


ODD = """
import numpy
import ftqa


class Odd(ftqa.Checker):
    id = "odd"
    summary = "Features of the given kind; a dataset finding from their sum."
    rules = (ftqa.Rule("total", ftqa.Severity.INFO, "The total."),)
    pure_map = True
    KIND = {kind!r}

    def __init__(self, options, context):
        super().__init__(options, context)
        self.total = 0

    def map(self, record, provided):
        n = len(record.messages)
        if self.KIND == "numpy":
            features = numpy.int64(n)
        elif self.KIND == "tuple-keys":
            features = {{(n, "turns"): n}}
        else:
            features = [n]
        finding = self.finding("total", f"row of {{n}} turns", record)
        return ftqa.RowResult([finding], features)

    def reduce(self, key, features):
        if self.KIND == "numpy":
            self.total += int(features)
        elif self.KIND == "tuple-keys":
            self.total += sum(features.values())
        else:
            self.total += features[0]

    def finish(self):
        return [self.finding("total", f"{{self.total}} turns in all")]
"""


@pytest.mark.parametrize("kind", ["plain", "numpy", "tuple-keys"])
def test_process_report_equals_local_whatever_the_features_are(tmp_path: Path, kind: str):
    package = installed_plugin(tmp_path, "ftqa_odd", "odd = odd:Odd", "odd", ODD.format(kind=kind))
    data = tmp_path / "train.jsonl"
    turn = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
    rows = [{"messages": turn * (1 + i % 3)} for i in range(40)]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    reports = {}
    for executor in ("local", "process"):
        result = check_with_plugin(package, data, executor, "--select", "odd")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["stats"]["engine"]["executor"] == executor
        reports[executor] = report
    findings = reports["process"]["findings"]
    assert len(findings) == 41
    turns = sum(len(row["messages"]) for row in rows)
    assert [f["message"] for f in findings if f["line"] is None] == [f"{turns} turns in all"]
    assert run_independent(reports["local"]) == run_independent(reports["process"])
    mapped_here = reports["process"]["stats"]["engine"].get("jobs_mapped_here", 0)
    assert mapped_here == (1 if kind == "tuple-keys" else 0)


def test_combined_features_travel_with_the_rows():
    rows = _rows()
    combined = [(3, [0, 2], [b"\x00\x01", [1, None]])]
    packed = pack_rows(rows, combined)
    assert packed is not None
    back, combined_back = unpack_rows(*packed)
    assert back == rows
    assert combined_back == [(3, [0, 2], [b"\x00\x01", [1, None]])]


COMBINES = """
import ftqa


class Sums(ftqa.Checker):
    id = "sums"
    summary = "Sums turns through combine and reduce_combined."
    rules = (ftqa.Rule("total", ftqa.Severity.INFO, "The total."),)
    pure_map = True

    def __init__(self, options, context):
        super().__init__(options, context)
        self.total = 0
        self.rows = []

    def map(self, record, provided):
        return ftqa.RowResult(features=[len(record.messages)])

    def reduce_many(self, keys, features):
        self.reduce_combined(keys, self.combine(features))

    def combine(self, features):
        if {fail}:
            raise RuntimeError("cannot combine")
        return bytes(row[0] for row in features)

    def reduce_combined(self, keys, combined):
        self.total += sum(combined)
        self.rows.extend(key.row for key in keys)

    def finish(self):
        assert self.rows == sorted(self.rows) and len(set(self.rows)) == len(self.rows)
        return [self.finding("total", f"{{self.total}} turns in {{len(self.rows)}} rows")]
"""


@pytest.mark.parametrize("fail", [False, True])
def test_a_checker_that_combines_reports_the_same_on_every_executor(tmp_path: Path, fail: bool):
    package = installed_plugin(
        tmp_path, "ftqa_sums", "sums = sums:Sums", "sums", COMBINES.format(fail=fail)
    )
    data = tmp_path / "train.jsonl"
    turn = [{"role": "user", "content": "hi " * 50}, {"role": "assistant", "content": "yo"}]
    rows = [{"messages": turn * (1 + i % 3), "id": i} for i in range(6000)]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    reports = {}
    for executor in ("local", "process"):
        result = check_with_plugin(package, data, executor, "--select", "sums", "--jobs", "2")
        assert result.returncode == (1 if fail else 0), result.stderr
        reports[executor] = json.loads(result.stdout)
    for report in reports.values():
        run = next(run for run in report["checks"] if run["id"] == "sums")
        if fail:
            assert run["status"] == "failed"
            assert "cannot combine" in run["note"]
        else:
            turns = sum(len(row["messages"]) for row in rows)
            assert [f["message"] for f in report["findings"]] == [f"{turns} turns in 6000 rows"]
    assert run_independent(reports["local"]) == run_independent(reports["process"])
