"""Shape of the code: every module under src/ftqa stays small enough to read in one sitting."""

from __future__ import annotations

from conftest import ROOT

MAX_LINES = 400
PACKAGE = ROOT / "src" / "ftqa"


def _lines(data: bytes) -> int:
    """Lines as `wc -l` counts them, plus an unterminated last line."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def test_no_module_over_400_lines():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert modules, f"no modules found under {PACKAGE}"
    too_long = {
        path.relative_to(ROOT).as_posix(): count
        for path in modules
        if (count := _lines(path.read_bytes())) > MAX_LINES
    }
    assert not too_long, (
        f"modules over {MAX_LINES} lines (split them along their seams): "
        + ", ".join(f"{path} ({count})" for path, count in too_long.items())
    )
