"""JSON report: the published contract (`ftqa schema report`).

Dataset strings in the report have passed the outbound layer; the writer then spells every
C1, bidi, zero-width and line/paragraph separator character as a `\\uXXXX` escape.
"""

from __future__ import annotations

from ftqa.render.safe import json_escape_hidden
from ftqa.report import Report


def render_json(report: Report) -> str:
    return json_escape_hidden(report.to_json(indent=2)) + "\n"
