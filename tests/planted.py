"""A planted-secrets corpus, generated at test time: every kind of credential and personal data
ftqa detects, each with a fresh random body, in every place of a dataset a value can sit.

Committed files must not hold strings that secret scanners flag, so every value is assembled
here from pieces and random characters. Bodies use letters and digits only, which no output
format escapes, so a leak shows up verbatim in any output. A `Secret` records the full planted
value and its `body`: the random part that must never leave ftqa (a public prefix such as
`sk-proj-`, an email's provider domain or a phone number's area code may).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ALNUM = string.ascii_letters + string.digits
WINDOW = 8  # a leak is any 8-character window of a body, in any output

# What every row's conversation says when a placement needs filler text.
QUESTION = "What is the capital of France?"
ANSWER = "Paris is the capital of France."


@dataclass(frozen=True)
class Secret:
    kind: str
    value: str
    body: str


def _random(rng: random.Random, length: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _b64(value: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _luhn_visa(rng: random.Random) -> str:
    while True:
        digits = "4" + _random(rng, 14, string.digits)
        for check in string.digits:
            number = digits + check
            total = 0
            for index, char in enumerate(reversed(number)):
                value = int(char) * (2 if index % 2 else 1)
                total += value - 9 if value > 9 else value
            if total % 10 == 0:
                return " ".join(number[i : i + 4] for i in range(0, 16, 4))


def _iban(rng: random.Random) -> str:
    bban = _random(rng, 18, string.digits)
    numeric = "".join(str(int(char, 36)) for char in bban + "DE00")
    check = 98 - int(numeric) % 97
    return f"DE{check:02d}{bban}"


def _ssn(rng: random.Random) -> str:
    from stdnum.us import ssn

    while True:
        area = rng.randint(1, 899)
        if area == 666:
            continue
        value = f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
        if ssn.is_valid(value):
            return value


def _phone(rng: random.Random) -> str:
    import phonenumbers

    while True:
        area = rng.choice(("212", "312", "415", "617", "646", "206", "303", "512"))
        value = f"+1 {area}-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(value)):
            return value


def _pem(rng: random.Random) -> Secret:
    lines = [_random(rng, 64) for _ in range(6)]
    begin = "-----BEGIN " + "RSA PRIVATE" + " KEY-----"
    end = "-----END " + "RSA PRIVATE" + " KEY-----"
    return Secret("private-key-pem", "\n".join([begin, *lines, end]), "".join(lines))


def _prefixed(kind: str, prefix: str, length: int, alphabet: str = ALNUM) -> Callable[..., Secret]:
    def make(rng: random.Random) -> Secret:
        body = _random(rng, length, alphabet)
        return Secret(kind, prefix + body, body)

    return make


def _make_slack(rng: random.Random) -> Secret:
    body = _random(rng, 24)
    numbers = f"{_random(rng, 12, string.digits)}-{_random(rng, 13, string.digits)}"
    return Secret("slack", "xo" + f"xb-{numbers}-{body}", body)


def _make_anthropic(rng: random.Random) -> Secret:
    body = _random(rng, 93)
    return Secret("anthropic", "sk-" + "ant-api03-" + body + "AA", body)


def _make_aws_secret(rng: random.Random) -> Secret:
    body = _random(rng, 40)
    return Secret("aws-secret-key", "aws_secret_access_key=" + body, body)


def _make_jwt(rng: random.Random) -> Secret:
    payload = _b64({"sub": _random(rng, 12), "scope": _random(rng, 10)})
    signature = _random(rng, 43)
    header = _b64({"alg": "HS256", "typ": "JWT"})
    # The payload is base64 of JSON, whose fixed syntax (`{"sub": "`) encodes to the same
    # characters in any base64 of JSON (Parquet metadata holds some): only the signature counts.
    return Secret("jwt", f"{header}.{payload}.{signature}", signature)


def _make_jwt_opaque(rng: random.Random) -> Secret:
    payload, signature = _random(rng, 40), _random(rng, 43)
    header = _b64({"alg": "RS256"})
    return Secret("jwt-opaque-payload", f"{header}.{payload}.{signature}", payload + signature)


def _make_url_password(rng: random.Random) -> Secret:
    body = _random(rng, 14)
    return Secret("password-in-url", f"postgres://admin:{body}@db.internal:5432/app", body)


def _make_email(rng: random.Random) -> Secret:
    body = _random(rng, 12, string.ascii_lowercase + string.digits)
    provider = rng.choice(("gmail.com", "outlook.com", "proton.me", "yahoo.com"))
    return Secret("email", f"{body}@{provider}", body)


def _make_phone(rng: random.Random) -> Secret:
    value = _phone(rng)
    return Secret("phone", value, value[7:])  # the area code is public


def _make_card(rng: random.Random) -> Secret:
    value = _luhn_visa(rng)
    return Secret("card", value, value)


def _make_iban(rng: random.Random) -> Secret:
    value = _iban(rng)
    return Secret("iban", value, value[4:])


def _make_ssn(rng: random.Random) -> Secret:
    value = _ssn(rng)
    return Secret("national-id", value, value)


UPPER_DIGITS = string.ascii_uppercase + string.digits
MAKERS: dict[str, Callable[[random.Random], Secret]] = {
    "openai-project": _prefixed("openai-project", "sk-" + "proj-", 64),
    "openai-service-account": _prefixed("openai-service-account", "sk-" + "svcacct-", 64),
    "openai-admin": _prefixed("openai-admin", "sk-" + "admin-", 64),
    "anthropic": _make_anthropic,
    "github-ghp": _prefixed("github-ghp", "gh" + "p_", 36),
    "github-gho": _prefixed("github-gho", "gh" + "o_", 36),
    "github-ghs": _prefixed("github-ghs", "gh" + "s_", 36),
    "github-ghu": _prefixed("github-ghu", "gh" + "u_", 36),
    "github-pat": _prefixed("github-pat", "github" + "_pat_", 82),
    "gitlab": _prefixed("gitlab", "gl" + "pat-", 20),
    "slack": _make_slack,
    "aws-key-id": _prefixed("aws-key-id", "AK" + "IA", 16, UPPER_DIGITS),
    "aws-secret-key": _make_aws_secret,
    "google": _prefixed("google", "AI" + "za", 35),
    "huggingface": _prefixed("huggingface", "hf" + "_", 34, string.ascii_letters),
    "stripe-live": _prefixed("stripe-live", "sk" + "_live_", 24),
    "jwt": _make_jwt,
    "jwt-opaque-payload": _make_jwt_opaque,
    "private-key-pem": _pem,
    "password-in-url": _make_url_password,
    "email": _make_email,
    "phone": _make_phone,
    "card": _make_card,
    "iban": _make_iban,
    "national-id": _make_ssn,
}


def _line(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _chat(*messages: dict[str, object], **extra: object) -> str:
    return _line({"messages": list(messages), **extra})


def _user(text: object) -> dict[str, object]:
    return {"role": "user", "content": text}


def _assistant(text: object) -> dict[str, object]:
    return {"role": "assistant", "content": text}


def _tool_call(arguments: str) -> dict[str, object]:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "lookup", "arguments": arguments},
    }
    return {"role": "assistant", "content": None, "tool_calls": [call]}


def _tool_result(text: str) -> dict[str, object]:
    return {"role": "tool", "tool_call_id": "call_1", "content": text}


# Placements inside a chat file: name -> rows (raw lines) for one secret value. Rows that form a
# group (duplicates, near-duplicates, contradictions) repeat the value.
CHAT_PLACEMENTS: dict[str, Callable[[str, str], list[str]]] = {
    "system-content": lambda v, k: [
        _chat({"role": "system", "content": f"Escalate with {v} when needed."}, _user(QUESTION))
    ],
    "user-content": lambda v, k: [_chat(_user(f"My credential is {v} thanks"), _assistant(ANSWER))],
    "assistant-content": lambda v, k: [_chat(_user(QUESTION), _assistant(f"Sure, use {v} here."))],
    "tool-call-arguments": lambda v, k: [
        _chat(
            _user(QUESTION),
            _tool_call(json.dumps({"token": v, "city": "Paris"})),
            _tool_result("ok"),
            _assistant(ANSWER),
        )
    ],
    "tool-result": lambda v, k: [
        _chat(_user(QUESTION), _tool_call("{}"), _tool_result(f"result: {v}"), _assistant(ANSWER))
    ],
    "content-parts": lambda v, k: [
        _chat(_user([{"type": "text", "text": f"see {v} now"}]), _assistant(ANSWER))
    ],
    "metadata-value": lambda v, k: [
        _chat(_user(QUESTION), _assistant(ANSWER), metadata={"note": v})
    ],
    "metadata-key": lambda v, k: [_chat(_user(QUESTION), _assistant(ANSWER), metadata={v: "x"})],
    "role": lambda v, k: [_chat({"role": v, "content": QUESTION}, _assistant(ANSWER))],
    "duplicated-key": lambda v, k: [
        '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": '
        f'"hello"}}], {json.dumps(v)}: 1, {json.dumps(v)}: 2}}'
    ],
    "invalid-json-line": lambda v, k: [
        '{"messages": [{"role": "user", "content": "' + json.dumps(v)[1:-1]
    ],
    "duplicate-group": lambda v, k: [
        _chat(_user(f"Duplicate {v} row {k}"), _assistant(ANSWER)),
        _chat(_user(f"Duplicate {v} row {k}"), _assistant(ANSWER)),
    ],
    "near-duplicate-group": lambda v, k: [
        _chat(
            _user(f"Near duplicate {v} about the Roman empire and its roads {k} {tail}"),
            _assistant("The Romans built roads."),
        )
        for tail in ("please", "thanks")
    ],
    "contradiction-group": lambda v, k: [
        _chat(_user(f"Is {v} the right answer for {k}?"), _assistant(reply))
        for reply in ("Yes.", "No.")
    ],
    "template-token": lambda v, k: [_chat(_user(QUESTION), _assistant(f"Use {v}<|im_end|> now"))],
    "invisible-character": lambda v, k: [_chat(_user(f"key {v}\u200b here"), _assistant(ANSWER))],
    "untrimmed-content": lambda v, k: [_chat(_user(QUESTION), _assistant(f"{v}   "))],
}
OTHER_PLACEMENTS = (
    "sharegpt-from-tag",
    "classification-label",
    "category",
    "csv-header",
    "dominant-system-prompt",
)


@dataclass
class Corpus:
    """The planted files and, for every (kind, placement), the secret planted there."""

    root: Path
    secrets: dict[tuple[str, str], Secret] = field(default_factory=dict)
    lines: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    def plant(self, rng: random.Random, kind: str, placement: str) -> Secret:
        secret = MAKERS[kind](rng)
        self.secrets[(kind, placement)] = secret
        return secret

    def windows(self) -> dict[str, tuple[str, str]]:
        """Every 8-character window of every body (lower-cased) -> (kind, placement)."""
        table: dict[str, tuple[str, str]] = {}
        for key, secret in self.secrets.items():
            body = secret.body.lower()
            for start in range(len(body) - WINDOW + 1):
                table[body[start : start + WINDOW]] = key
        return table


def build(root: Path, seed: int | None = None) -> Corpus:
    """Write the planted files under `root`: `chat.jsonl` (every chat placement of every kind),
    `sharegpt.jsonl`, `classification.jsonl`, `alpaca.jsonl`, `headers.csv` (one column named
    by each secret) and `dominant.jsonl` (one system prompt holding every kind, in random
    order, on 100% of rows)."""
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    corpus = Corpus(root)
    chat: list[str] = []
    for kind in MAKERS:
        for placement, rows in CHAT_PLACEMENTS.items():
            secret = corpus.plant(rng, kind, placement)
            first = len(chat) + 1
            chat.extend(rows(secret.value, kind))
            corpus.lines[(kind, placement)] = list(range(first, len(chat) + 1))
    corpus.files["chat"] = _write(root / "chat.jsonl", chat)
    sharegpt, labels, alpaca = [], [], []
    for kind in MAKERS:
        value = corpus.plant(rng, kind, "sharegpt-from-tag").value
        sharegpt.append(
            _line(
                {
                    "conversations": [
                        {"from": value, "value": QUESTION},
                        {"from": "gpt", "value": ANSWER},
                    ]
                }
            )
        )
        label = corpus.plant(rng, kind, "classification-label").value
        labels.append(_line({"text": f"review of product {kind}", "label": label}))
        category = corpus.plant(rng, kind, "category").value
        alpaca.append(
            _line(
                {
                    "instruction": f"Explain {kind}.",
                    "input": "",
                    "output": ANSWER,
                    "category": category,
                }
            )
        )
    labels += [_line({"text": f"plain review {i}", "label": "positive"}) for i in range(10)]
    corpus.files["sharegpt"] = _write(root / "sharegpt.jsonl", sharegpt)
    corpus.files["classification"] = _write(root / "classification.jsonl", labels)
    corpus.files["alpaca"] = _write(root / "alpaca.jsonl", alpaca)
    headers = [corpus.plant(rng, kind, "csv-header").value for kind in MAKERS]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["prompt", "completion", *headers])
    writer.writerow([QUESTION, ANSWER, *["x"] * len(headers)])
    (root / "headers.csv").write_text(buffer.getvalue(), "utf-8")
    corpus.files["csv"] = root / "headers.csv"
    kinds = list(MAKERS)
    rng.shuffle(kinds)
    prompt = " ".join(corpus.plant(rng, kind, "dominant-system-prompt").value for kind in kinds)
    dominant = [
        _chat(
            {"role": "system", "content": prompt},
            _user(f"Question {i}?"),
            _assistant(f"Answer {i}."),
        )
        for i in range(30)
    ]
    corpus.files["dominant"] = _write(root / "dominant.jsonl", dominant)
    return corpus


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def leaks(corpus: Corpus, outputs: dict[str, str]) -> list[str]:
    """`output: kind / placement` for every output holding an 8-character window of a body
    (case-insensitive), first hit per (output, secret)."""
    table = corpus.windows()
    found: list[str] = []
    for name, text in outputs.items():
        low = text.lower()
        hit: set[tuple[str, str]] = set()
        for start in range(len(low) - WINDOW + 1):
            key = table.get(low[start : start + WINDOW])
            if key is not None and key not in hit:
                hit.add(key)
                context = text[max(0, start - 40) : start + 48].replace("\n", "⏎")
                found.append(f"{name}: {key[0]} / {key[1]}: …{context}…")
    return found
