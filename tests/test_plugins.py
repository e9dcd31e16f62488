"""Third-party checkers: a real distribution (tests/plugin_example) installed with real pip into a
temporary target directory, then found through the `ftqa.checkers` entry-point group by
`python -m ftqa` run with that directory on PYTHONPATH.

The install is the offline one (`--no-build-isolation --no-index`) when the venv can build a
wheel by itself (setuptools >= 70.1, or an older setuptools plus the `wheel` package). Otherwise
pip builds in an isolated environment and fetches setuptools from the configured index.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pytest

import ftqa
from plugin_dist import assert_failed_while_others_ran, installed_plugin

HERE = Path(__file__).resolve().parent
PLUGIN_SOURCE = HERE / "plugin_example"


def _can_build_without_isolation() -> bool:
    if importlib.util.find_spec("setuptools") is None:
        return False
    try:
        major, minor = (int(part) for part in version("setuptools").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return False
    # setuptools < 70.1 builds wheels through the separate `wheel` package.
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


def _pip_install(source: Path, target: Path) -> None:
    offline = _can_build_without_isolation()
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target)]
    if offline:
        command += ["--no-build-isolation", "--no-index"]
    result = subprocess.run(
        [*command, str(source)], capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, (
        f"pip install failed (offline build: {offline})\n{result.stdout}\n{result.stderr}"
    )


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ftqa-plugin-example` installed with pip into a fresh target directory."""
    work = tmp_path_factory.mktemp("plugin")
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = work / "src"
    shutil.copytree(PLUGIN_SOURCE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    target = work / "site"
    _pip_install(source, target)
    assert (target / "ftqa_plugin_example" / "__init__.py").is_file()
    (dist_info,) = target.glob("ftqa_plugin_example-*.dist-info")
    assert "ftqa.checkers" in (dist_info / "entry_points.txt").read_text(encoding="utf-8")
    return target


def _env(*paths: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("FTQA_DEBUG", None)
    extra = [str(path) for path in paths]
    if env.get("PYTHONPATH"):
        extra.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(extra)
    return env


def ftqa_cli(*args: str, paths: tuple[Path, ...], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ftqa", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(*paths),
        timeout=300,
        check=False,
    )


def chat(question: str, answer: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


ROWS = [
    chat("How do I export data?", "Use the export button."),  # line 1
    chat("And import?", "TODO: document the import flow."),  # line 2: TODO in the reply
    chat("TODO list?", "Open the tasks tab."),  # line 3: TODO in the *user* turn only
    chat("Pricing?", "FIXME check the current price list."),  # line 4: FIXME
    chat("Refunds?", "Refunds take five days. TODO add link"),  # line 5: TODO
    *(chat(f"Question {i}?", f"Answer {i}.") for i in range(8)),
]
TODO_LINES = [2, 5]
FIXME_LINES = [4]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "train.jsonl"
    path.parent.mkdir()
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    return path


def check_json(data: Path, *args: str, paths: tuple[Path, ...], expect: int = 0) -> dict[str, Any]:
    result = ftqa_cli("check", str(data), "--format", "json", *args, paths=paths, cwd=data.parent)
    assert result.returncode == expect, result.stderr
    return json.loads(result.stdout)


def plugin_lines(report: dict[str, Any]) -> list[int]:
    return [f["line"] for f in report["findings"] if f["check"] == "no_todo"]


# --------------------------------------------------------------------------- a working plugin


def test_plugin_checker_is_listed(plugin_path: Path, tmp_path: Path):
    result = ftqa_cli("checks", paths=(plugin_path,), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no_todo: Assistant replies that still contain TODO." in result.stdout
    (line,) = [line for line in result.stdout.splitlines() if "no_todo/todo-in-reply" in line]
    assert "warning" in line
    assert "An assistant reply contains TODO." in line
    # Built-ins come first, plugins after them.
    assert result.stdout.index("format:") < result.stdout.index("no_todo:")


def test_plugin_is_absent_without_its_path(tmp_path: Path):
    result = ftqa_cli("checks", paths=(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no_todo" not in result.stdout


def test_plugin_findings_in_json_report(plugin_path: Path, data: Path):
    report = check_json(data, paths=(plugin_path,))
    findings = [f for f in report["findings"] if f["check"] == "no_todo"]
    assert [f["line"] for f in findings] == TODO_LINES
    for finding in findings:
        assert finding["rule"] == "todo-in-reply"
        assert finding["severity"] == "warning"
        assert finding["file"] == str(data)
        assert finding["field"] == "messages[1].content"
        assert "TODO" in finding["evidence"]
    assert [f["row"] for f in findings] == [line - 1 for line in TODO_LINES]
    statuses = {run["id"]: run["status"] for run in report["checks"]}
    assert statuses["format"] == statuses["no_todo"] == "ran"
    assert "failed" not in statuses.values()
    assert report["stats"]["findings_by_rule"]["no_todo/todo-in-reply"] == len(TODO_LINES)


def test_plugin_findings_gate_with_fail_on(plugin_path: Path, data: Path):
    result = ftqa_cli(
        "check", str(data), "--fail-on", "warning", paths=(plugin_path,), cwd=data.parent
    )
    assert result.returncode == 1, result.stderr
    assert "no_todo/todo-in-reply" in result.stdout or "todo-in-reply" in result.stdout
    assert "train.jsonl:2" in result.stdout


@pytest.mark.parametrize("selector", ["no_todo", "todo-in-reply", "no_todo/todo-in-reply"])
def test_select_the_plugin(plugin_path: Path, data: Path, selector: str):
    report = check_json(data, "--select", selector, paths=(plugin_path,))
    assert {f["check"] for f in report["findings"]} == {"no_todo"}
    assert plugin_lines(report) == TODO_LINES
    statuses = {run["id"]: run["status"] for run in report["checks"]}
    assert statuses["format"] == "skipped"
    assert statuses["no_todo"] == "ran"


@pytest.mark.parametrize("selector", ["todo-in-reply", "no_todo/todo-in-reply", "no_todo"])
def test_ignore_the_plugin(plugin_path: Path, data: Path, selector: str):
    report = check_json(data, "--ignore", selector, paths=(plugin_path,))
    assert plugin_lines(report) == []
    statuses = {run["id"]: run["status"] for run in report["checks"]}
    assert statuses["no_todo"] == "skipped"
    assert statuses["format"] == "ran"


def test_plugin_options_from_config_table(plugin_path: Path, data: Path):
    (data.parent / "ftqa.toml").write_text('[no_todo]\nmarker = "FIXME"\n', encoding="utf-8")
    report = check_json(data, paths=(plugin_path,))
    assert plugin_lines(report) == FIXME_LINES
    (finding,) = [f for f in report["findings"] if f["check"] == "no_todo"]
    assert "FIXME" in finding["message"]


def test_plugin_severity_and_enabled_from_config(plugin_path: Path, data: Path):
    config = data.parent / "ftqa.toml"
    config.write_text('[no_todo.severity]\n"todo-in-reply" = "error"\n', encoding="utf-8")
    report = check_json(data, paths=(plugin_path,), expect=1)
    severities = {f["severity"] for f in report["findings"] if f["check"] == "no_todo"}
    assert severities == {"error"}

    config.write_text("[no_todo]\nenabled = false\n", encoding="utf-8")
    report = check_json(data, paths=(plugin_path,))
    assert plugin_lines(report) == []


def test_unknown_plugin_option_is_exit_2_naming_it(plugin_path: Path, data: Path):
    (data.parent / "ftqa.toml").write_text('[no_todo]\ncolour = "red"\n', encoding="utf-8")
    result = ftqa_cli("check", str(data), paths=(plugin_path,), cwd=data.parent)
    assert result.returncode == 2
    assert "colour" in result.stderr
    assert "no_todo" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_bad_plugin_option_value_is_exit_2(plugin_path: Path, data: Path):
    (data.parent / "ftqa.toml").write_text("[no_todo]\nmarker = 3\n", encoding="utf-8")
    result = ftqa_cli("check", str(data), paths=(plugin_path,), cwd=data.parent)
    assert result.returncode == 2
    assert "marker" in result.stderr
    assert "Traceback" not in result.stderr


def test_plugin_table_without_the_plugin_is_unknown_key(data: Path):
    (data.parent / "ftqa.toml").write_text('[no_todo]\nmarker = "FIXME"\n', encoding="utf-8")
    result = ftqa_cli("check", str(data), paths=(), cwd=data.parent)
    assert result.returncode == 2
    assert "no_todo" in result.stderr


# --------------------------------------------------------------------------- broken plugins


CHECKER_CODE = """
import ftqa

class {cls}(ftqa.Checker):
    id = {id!r}
    summary = "A test checker."
    rules = (ftqa.Rule("some-rule", ftqa.Severity.WARNING, "Something."),)

    def check_record(self, record):
        {body}
"""


@pytest.mark.parametrize("command", ["checks", "check"])
def test_plugin_that_fails_to_import_is_exit_2_one_line(command: str, data: Path, tmp_path: Path):
    site = installed_plugin(
        tmp_path,
        "ftqa_plugin_broken",
        "broken_checker = ftqa_plugin_broken:Broken",
        "ftqa_plugin_broken",
        "import a_dependency_that_is_not_installed\n",
    )
    args = ("checks",) if command == "checks" else ("check", str(data))
    result = ftqa_cli(*args, paths=(site,), cwd=data.parent)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "broken_checker" in lines[0]
    assert "a_dependency_that_is_not_installed" in lines[0]
    assert "Traceback" not in result.stderr


def test_unselected_broken_plugin_is_not_imported(data: Path, tmp_path: Path):
    """Checkers load on demand: `--select format` imports the format checker only, so a plugin
    that cannot be imported does not stop a run that does not use it (it still fails
    `ftqa checks` and runs that select it or select everything)."""
    site = installed_plugin(
        tmp_path,
        "ftqa_plugin_broken",
        "broken_checker = ftqa_plugin_broken:Broken",
        "ftqa_plugin_broken",
        "import a_dependency_that_is_not_installed\n",
    )
    result = ftqa_cli("check", str(data), "--select", "format", paths=(site,), cwd=data.parent)
    assert result.returncode == 0, result.stderr
    selected = ftqa_cli(
        "check", str(data), "--select", "broken_checker", paths=(site,), cwd=data.parent
    )
    assert selected.returncode == 2
    assert "a_dependency_that_is_not_installed" in selected.stderr
    # A bare rule name could belong to any checker, so resolving it imports them all.
    by_rule = ftqa_cli(
        "check", str(data), "--select", "empty-content", paths=(site,), cwd=data.parent
    )
    assert by_rule.returncode == 2
    assert "broken_checker" in by_rule.stderr


def test_select_imports_only_the_selected_checkers(data: Path, tmp_path: Path):
    code = """
import sys
import ftqa

report = ftqa.check(sys.argv[1], select=["format", "duplicates/exact-duplicate"])
loaded = sorted(name for name in sys.modules if name.startswith("ftqa.checks."))
print(" ".join(loaded))
print(" ".join(run.id for run in report.checks if run.status == "ran"))
"""
    result = subprocess.run(
        [sys.executable, "-c", code, str(data)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    modules, ran = result.stdout.splitlines()
    assert set(ran.split()) == {"format", "duplicates"}
    names = set(modules.split())
    assert {"ftqa.checks.format", "ftqa.checks.duplicates"} <= names
    for unused in ("contradictions", "secrets", "pii", "near_duplicates", "token_length"):
        assert f"ftqa.checks.{unused}" not in names


def test_entry_point_that_is_not_a_checker_is_exit_2(data: Path, tmp_path: Path):
    site = installed_plugin(
        tmp_path, "ftqa_plugin_notchecker", "notchecker = plain:Thing", "plain", "Thing = 3\n"
    )
    result = ftqa_cli("check", str(data), paths=(site,), cwd=data.parent)
    assert result.returncode == 2
    assert "notchecker" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_entry_point_name_must_equal_checker_id(data: Path, tmp_path: Path):
    code = CHECKER_CODE.format(cls="Named", id="real_id", body="return ()")
    site = installed_plugin(
        tmp_path, "ftqa_plugin_named", "other_name = named:Named", "named", code
    )
    result = ftqa_cli("check", str(data), paths=(site,), cwd=data.parent)
    assert result.returncode == 2
    assert "other_name" in result.stderr
    assert "real_id" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_plugin_cannot_take_a_builtin_id(data: Path, tmp_path: Path):
    code = CHECKER_CODE.format(cls="Impostor", id="format", body="return ()")
    site = installed_plugin(
        tmp_path, "ftqa_plugin_impostor", "format = impostor:Impostor", "impostor", code
    )
    result = ftqa_cli("checks", paths=(site,), cwd=data.parent)
    assert result.returncode == 2
    assert "format" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


CRASHY = """
import ftqa

class Crashy(ftqa.Checker):
    id = "crashy"
    summary = "A checker that crashes."
    rules = (ftqa.Rule("some-rule", ftqa.Severity.WARNING, "Something."),)
{methods}
"""


@pytest.mark.parametrize(
    "methods",
    [
        pytest.param(
            "    def check_record(self, record):\n"
            "        raise RuntimeError('kaboom')\n"
            "        yield\n",
            id="check_record-generator",
        ),
        pytest.param(
            "    def finish(self):\n        raise RuntimeError('kaboom')\n        yield\n",
            id="finish-generator",
        ),
        pytest.param(
            "    def check_record(self, record):\n        raise RuntimeError('kaboom')\n",
            id="check_record-plain",
        ),
        pytest.param(
            "    def finish(self):\n        raise RuntimeError('kaboom')\n", id="finish-plain"
        ),
        pytest.param("    def stats(self):\n        raise RuntimeError('kaboom')\n", id="stats"),
        # Rust extensions panic through pyo3 with a BaseException subclass (PanicException).
        pytest.param(
            "    def check_record(self, record):\n"
            "        class PanicException(BaseException):\n"
            "            pass\n"
            "        raise PanicException('kaboom from a Rust panic')\n",
            id="check_record-base-exception",
        ),
    ],
)
def test_checker_that_raises_is_marked_failed_and_others_run(
    plugin_path: Path, data: Path, tmp_path: Path, methods: str
):
    code = CRASHY.format(methods=methods)
    site = installed_plugin(
        tmp_path, "ftqa_plugin_crashy", "crashy = crashy:Crashy", "crashy", code
    )
    result = ftqa_cli(
        "check", str(data), "--format", "json", paths=(site, plugin_path), cwd=data.parent
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert_failed_while_others_ran(report, "crashy", "kaboom", "no_todo")
    assert plugin_lines(report) == TODO_LINES
    assert report["summary"]["passed"] is False


def test_former_rule_slugs_still_select_ignore_and_set_severity(tmp_path):
    """Slugs say what is wrong (`missing-user-message`, not `no-user-message`); the former
    slugs stay accepted wherever a rule is named, and the run reports the current one."""
    data = tmp_path / "chat.jsonl"
    data.write_text('{"messages": [{"role": "assistant", "content": "Hello."}]}\n')
    selected = ftqa.check(str(data), select=["no-user-message"], cache=False)
    assert {finding.rule for finding in selected.findings} == {"missing-user-message"}
    ignored = ftqa.check(str(data), select=["format"], ignore=["format/no-user-message"])
    assert "missing-user-message" not in {finding.rule for finding in ignored.findings}
    lowered = ftqa.check(
        str(data), config={"severity": {"no-user-message": "info"}}, select=["format"]
    )
    [finding] = [f for f in lowered.findings if f.rule == "missing-user-message"]
    assert finding.severity is ftqa.Severity.INFO
    table = ftqa.check(
        str(data),
        config={"format": {"severity": {"no-user-message": "warning"}}},
        select=["format"],
    )
    [finding] = [f for f in table.findings if f.rule == "missing-user-message"]
    assert finding.severity is ftqa.Severity.WARNING
