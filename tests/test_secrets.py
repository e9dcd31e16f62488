"""The `secrets` checker: every rule on credentials assembled at test time (committed files must
not hold strings that secret scanners flag), near misses that must stay silent, and the promise
that no report format and no change log ever contains a detected secret."""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

import pytest

import ftqa
from conftest import run_cli
from ftqa.checks.secrets import SecretsChecker, SecretsOptions
from ftqa.detect.entropy import expected_entropy
from ftqa.detect.secret_shapes import PUBLIC_PREFIXES
from ftqa.detect.secrets import SecretDetector
from ftqa.rewrite.fixer import fix_dataset

DATA = Path(__file__).resolve().parent / "data" / "secrets"
ALNUM = string.ascii_letters + string.digits
RNG = random.Random(20240611)


def _rand(length: int, alphabet: str = ALNUM) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(length))


def _b64(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


# Each value is assembled from pieces so that this file itself holds no detectable secret.
BEGIN = "-----BEGIN " + "RSA PRIVATE" + " KEY-----"
END = "-----END " + "RSA PRIVATE" + " KEY-----"
SECRETS = {
    "openai": "sk-" + "proj-" + _rand(100, ALNUM + "_-"),
    "anthropic": "sk-" + "ant-api03-" + _rand(93, ALNUM + "_-") + "AA",
    "huggingface": "hf" + "_" + _rand(34, string.ascii_letters),
    "github": "gh" + "p_" + _rand(36),
    "aws_id": "AK" + "IA" + _rand(16, string.ascii_uppercase + string.digits),
    "aws_secret": _rand(40, ALNUM + "/+"),
    "google": "AI" + "za" + _rand(35, ALNUM + "_-"),
    "slack": "xo"
    + "xb-"
    + _rand(12, string.digits)
    + "-"
    + _rand(13, string.digits)
    + "-"
    + _rand(24),
    "stripe": "sk" + "_live_" + _rand(24),
    "pem_body": "\n".join(_rand(64, ALNUM + "+/") for _ in range(8)),
    "jwt": ".".join(
        [_b64({"alg": "HS256", "typ": "JWT"}), _b64({"sub": "u-7", "role": "admin"}), _rand(43)]
    ),
    "db_password": _rand(14),
    "conn_password": _rand(12) + "!",
    "code_password": _rand(10) + "#2",
    "generic": _rand(28),
    "telegram": _rand(9, string.digits) + ":AA" + _rand(33, ALNUM + "_-"),
}


def _row(user: str, assistant: str = "Please revoke it.", **extra: object) -> dict:
    row: dict = {
        "messages": [
            {"role": "user", "content": user},
            {"role": "assistant", "content": assistant},
        ]
    }
    row.update(extra)
    return row


def _planted_rows() -> list[tuple[dict, list[tuple[str, str, str]]]]:
    """(row, [(rule, field, secret)]) in file order."""
    s = SECRETS
    tool_call = {
        "messages": [
            {"role": "user", "content": "Open an issue for me."},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {
                            "name": "create_issue",
                            "arguments": json.dumps({"repo": "a/b", "token": s["github"]}),
                        },
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "created"},
            {"role": "assistant", "content": "Done."},
        ]
    }
    return [
        (
            _row(f"My key is {s['openai']} and it fails."),
            [("api-key", "messages[0].content", s["openai"])],
        ),
        (
            _row(
                "How do I call Claude?",
                f'```python\nclient = Anthropic(api_key="{s["anthropic"]}")\n```',
            ),
            [("api-key", "messages[1].content", s["anthropic"])],
        ),
        (
            {
                "messages": [
                    {"role": "system", "content": f"HF_TOKEN={s['huggingface']}"},
                    *_row("Hi")["messages"],
                ]
            },
            [("api-key", "messages[0].content", s["huggingface"])],
        ),
        (tool_call, [("api-key", "messages[1].tool_calls[0].function.arguments", s["github"])]),
        (
            _row(f"aws_access_key_id = {s['aws_id']}\naws_secret_access_key = {s['aws_secret']}"),
            [
                ("api-key", "messages[0].content", s["aws_id"]),
                ("api-key", "messages[0].content", s["aws_secret"]),
            ],
        ),
        (_row(f"maps key {s['google']}"), [("api-key", "messages[0].content", s["google"])]),
        (_row(f"SLACK_BOT_TOKEN={s['slack']}"), [("api-key", "messages[0].content", s["slack"])]),
        (
            _row(f"stripe.api_key = '{s['stripe']}'"),
            [("api-key", "messages[0].content", s["stripe"])],
        ),
        (
            _row(f"Is this key valid?\n{BEGIN}\n{s['pem_body']}\n{END}"),
            [("private-key", "messages[0].content", s["pem_body"])],
        ),
        (
            _row(f"Authorization: Bearer {s['jwt']}"),
            [("json-web-token", "messages[0].content", s["jwt"])],
        ),
        (
            _row(f"DATABASE_URL=postgres://app:{s['db_password']}@db.internal:5432/prod"),
            [("password-in-url", "messages[0].content", s["db_password"])],
        ),
        (
            _row(
                "Server=tcp:x.database.windows.net;Database=db;User ID=admin;"
                f"Password={s['conn_password']};Encrypt=true"
            ),
            [("password-in-url", "messages[0].content", s["conn_password"])],
        ),
        (
            _row("Fix my code", f'```python\ndb_password = "{s["code_password"]}"\n```'),
            [("hardcoded-password", "messages[1].content", s["code_password"])],
        ),
        (
            _row(f"Here is my token: {s['generic']} please check"),
            [("high-entropy-string", "messages[0].content", s["generic"])],
        ),
        (
            _row("Set up the bot", metadata={"note": f"bot {s['telegram']}"}),
            [("api-key", "metadata.note", s["telegram"])],
        ),
    ]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secrets") / "train.jsonl"
    with path.open("w") as out:
        for row, _ in _planted_rows():
            out.write(json.dumps(row) + "\n")
    return path


@pytest.fixture(scope="module")
def checked(planted: Path) -> tuple[int, dict, str]:
    return _check(planted)


def _check(path: Path, *extra: str) -> tuple[int, dict, str]:
    result = run_cli("check", str(path), "--format", "json", "--select", "secrets", *extra)
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert all(run["status"] != "failed" for run in report["checks"]), report["checks"]
    return result.returncode, report, result.stdout


def _fragments(secret: str) -> list[str]:
    """10-character pieces of a secret after its public prefix (`sk-proj-`, `ghp_`, … may be
    shown), none of which may appear in any output."""
    flat = secret.replace("\n", "")
    prefix = next((p for p in PUBLIC_PREFIXES if flat.startswith(p)), "")
    flat = flat[len(prefix) :]
    return [flat[i : i + 10] for i in range(0, len(flat) - 9, 5)]


def test_every_planted_secret_is_reported_by_type_line_and_field(checked):
    code, report, _ = checked
    assert code == 1
    expected = [
        (line, rule, field)
        for line, (_, items) in enumerate(_planted_rows(), start=1)
        for rule, field, _ in items
    ]
    found = [(f["line"], f["rule"], f["field"]) for f in report["findings"]]
    assert sorted(found) == sorted(expected)
    severities = {f["rule"]: f["severity"] for f in report["findings"]}
    assert severities["api-key"] == "error"
    assert severities["private-key"] == "error"
    assert severities["hardcoded-password"] == "warning"
    assert severities["high-entropy-string"] == "warning"
    labels = {f["line"]: f["message"] for f in report["findings"]}
    assert labels[1].startswith("an OpenAI API key in `messages[0].content`")
    assert labels[2].startswith("an Anthropic API key")
    assert labels[15].startswith("a Telegram bot token")  # found by detect-secrets' plugin
    assert report["stats"]["secrets"]["rows_with_secrets"] == 15


def test_evidence_is_masked(checked):
    _, report, _ = checked
    evidence = {f["line"]: f["evidence"] for f in report["findings"]}
    assert evidence[1] == "sk-proj-…[redacted 100 chars]"
    assert evidence[4] == "ghp_…[redacted 36 chars]"
    assert evidence[9].startswith(BEGIN + "…[redacted")
    assert evidence[11] == "…[redacted 14 chars]"


FORMATS = ["terminal", "json", "markdown", "html"]
TEXT_CHECKS = "secrets,pii,encoding,format"


def _assert_no_secret_in_report(planted: Path, out: Path, fmt: str, *select: str) -> None:
    result = run_cli("check", str(planted), "--format", fmt, "--output", str(out), *select)
    assert result.returncode == 1, result.stderr
    text = out.read_text(encoding="utf-8") + result.stdout + result.stderr
    assert "secrets/" in text or "api-key" in text
    for name, secret in SECRETS.items():
        for fragment in _fragments(secret):
            assert fragment not in text, f"{fmt} output shows part of the {name} secret"


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_output_format_contains_a_secret(planted, tmp_path, fmt):
    """The text checkers (whose evidence comes closest to the secrets) and `format`."""
    _assert_no_secret_in_report(planted, tmp_path / f"report.{fmt}", fmt, "--select", TEXT_CHECKS)


def test_no_report_of_every_checker_contains_a_secret(planted, tmp_path):
    _assert_no_secret_in_report(planted, tmp_path / "report.json", "json")


def test_redaction_and_its_change_log_hold_no_secret(planted, tmp_path):
    out = tmp_path / "clean.jsonl"
    log = tmp_path / "changes.log.jsonl"
    summary = fix_dataset(planted, out, log=log, redact=True)
    assert summary.rows_in == summary.rows_out == len(_planted_rows())
    cleaned = out.read_text()
    changes = log.read_text()
    for secret in SECRETS.values():
        for fragment in _fragments(secret):
            assert fragment not in cleaned
            assert fragment not in changes
    rows = [json.loads(line) for line in cleaned.splitlines()]
    assert rows[0]["messages"][0]["content"] == "My key is <API_KEY> and it fails."
    assert "postgres://app:<PASSWORD>@db.internal" in rows[10]["messages"][0]["content"]
    assert "<PRIVATE_KEY>" in rows[8]["messages"][0]["content"]
    arguments = json.loads(rows[3]["messages"][1]["tool_calls"][0]["function"]["arguments"])
    assert arguments == {"repo": "a/b", "token": "<API_KEY>"}
    assert not ftqa.check(out, select=["secrets"]).findings


def test_the_same_key_gets_the_same_placeholder_within_a_row():
    key, other = SECRETS["github"], "gh" + "p_" + _rand(36)
    raw = _row(f"token {key}", f"Revoke {key} and also {other}. Old note: <API_KEY>")
    snapshot = json.dumps(raw)
    finding = ftqa.check([raw], select=["secrets"]).findings[0]
    edit = SecretsChecker(SecretsOptions(), None).fix(raw, finding, 0)
    assert json.dumps(raw) == snapshot, "fix must not mutate its argument"
    assert edit is not None
    assert edit.value["messages"][0]["content"] == "token <API_KEY_2>"
    assert edit.value["messages"][1]["content"] == (
        "Revoke <API_KEY_2> and also <API_KEY_3>. Old note: <API_KEY>"
    )
    assert key not in (edit.before or "") + (edit.after or "")
    assert SecretsChecker(SecretsOptions(), None).fix(edit.value, finding, 0) is None


def test_near_miss_file_stays_silent():
    code, report, _ = _check(DATA / "near-miss.jsonl")
    assert (code, report["findings"]) == (0, [])


def test_look_alikes_built_at_test_time_stay_silent(tmp_path):
    """Documentation examples and placeholders in the shape of real credentials."""
    jwt_io = ".".join(
        [
            _b64({"alg": "HS256", "typ": "JWT"}),
            _b64({"sub": "1234567890", "name": "John Doe", "iat": 1516239022}),
            _rand(43),
        ]
    )
    texts = [
        "AWS docs use "
        + "AKIA"
        + "IOSFODNN7"
        + "EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCY"
        + "EXAMPLEKEY",
        'OPENAI_API_KEY="sk-' + "proj-" + "X" * 40 + '"',
        "export OPENAI_API_KEY=sk-...your-key-here",
        f"Decode the jwt.io sample: {jwt_io}",
        f"{BEGIN}\n...paste your key here...\n{END}",
        'password = os.environ["DB_PASSWORD"]',
        'password = "<your password>"',
        "postgres://user:password@localhost:5432/db and mysql://root:${DB_PASS}@db/x",
        '<script src="x.js" integrity="sha384-' + _rand(64, ALNUM + "+/") + '">',
        "data:image/png;base64," + _rand(120, ALNUM + "+/") + "==",
    ]
    path = tmp_path / "look-alikes.jsonl"
    path.write_text("".join(json.dumps(_row(text)) + "\n" for text in texts))
    code, report, _ = _check(path)
    assert [(f["line"], f["rule"]) for f in report["findings"]] == []
    assert code == 0


def test_allow_patterns_and_disabling_the_entropy_test(planted, tmp_path):
    config = tmp_path / "ftqa.toml"
    config.write_text('[secrets]\nallow = ["sk-proj-.*"]\nhigh-entropy = false\n')
    _, report, _ = _check(planted, "--config", str(config))
    rules = [(f["line"], f["rule"]) for f in report["findings"]]
    assert (1, "api-key") not in rules
    assert "high-entropy-string" not in {rule for _, rule in rules}
    config.write_text('[secrets]\nallow = ["(unclosed"]\n')
    result = run_cli("check", str(planted), "--config", str(config))
    assert result.returncode == 2
    assert "allow" in result.stderr


def test_structural_ids_are_not_high_entropy():
    detector = SecretDetector(SecretsOptions())
    token = _rand(40)
    assert [s.rule for s in detector.find(f"id {token}")] == ["high-entropy-string"]
    assert detector.find(token, structural=True) == []


@pytest.mark.parametrize(
    ("length", "alphabet", "low", "high"), [(32, 62, 4.4, 4.7), (40, 16, 3.5, 3.8)]
)
def test_expected_entropy_matches_random_strings(length, alphabet, low, high):
    assert low < expected_entropy(length, alphabet) < high


def test_hostile_rows_never_fail_the_text_checkers():
    """Lone surrogates, deep nesting, huge or repetitive strings and non-string values: the
    secrets, pii and encoding checkers finish every row (a failing checker stops for good)."""
    deep: dict = {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok"}]
    }
    node = deep
    for _ in range(600):
        node["x"] = {"y": "token " + _rand(30)}
        node = node["x"]
    contents = [
        "lone \ud800 surrogate cafÃ© \ufffd",
        ("x9Yz" * 30 + " ") * 2000,
        BEGIN * 500,
        "a@" + "a." * 20000 + "1",
        "1 2 3 4 5 6 7 8 9 " * 2000,
        "password = " * 5000,
        "://u:p@" * 5000,
        "Ã©" * 20000,
        "\u200b\u202e" * 10000,
        "::" * 10000 + "1",
        "\U000e0041" * 5000,
    ]
    rows = [_row(content) for content in contents]
    rows += [
        deep,
        {"messages": [{"role": "user", "content": None}, {"role": "assistant", "content": 5}]},
    ]
    report = ftqa.check(rows, select=["secrets", "pii", "encoding"])
    assert [run.id for run in report.checks if run.status == "failed"] == []
    assert {"mojibake", "invisible-character", "high-entropy-string"} <= {
        f.rule for f in report.findings
    }
