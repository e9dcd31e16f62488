"""What workers send back: mapped rows and their results pickle by their fields and come back
equal, findings included."""

from __future__ import annotations

import pickle

from ftqa.engine.mapping import MappedRow
from ftqa.finding import Finding, Severity
from ftqa.rowresult import RowResult


def test_mapped_rows_round_trip_through_pickle():
    finding = Finding(
        check="pii",
        rule="email-address",
        severity=Severity.WARNING,
        message="an email address",
        file="a.jsonl",
        line=3,
        row=2,
    )
    rows = [
        MappedRow(2, 3, "chat", [(0, RowResult([finding], (b"k" * 16, "text", 7), {"a": 1}))]),
        MappedRow(-1, None, None, [], None),
        MappedRow(5, 6, "chat", [(3, RowResult(features=[1, 2]))], (2, "label", {"x": None})),
    ]
    back = pickle.loads(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == rows
    assert isinstance(back[0].results[0][1], RowResult)
    assert back[0].results[0][1].findings[0] == finding
