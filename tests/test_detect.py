"""The detector library (`ftqa.detect`): every key shape fires on a value of its shape, and a
near miss for every pattern and every placeholder class stays silent: placeholders, UUIDs,
session ids, hashes, base64 images, and the numbers that are not phone numbers (timestamps,
digit lists, sums, versions, ISBNs, order ids, amounts).

Values are assembled from pieces and random characters at test time, so this file holds nothing
a secret scanner would flag.
"""

from __future__ import annotations

import base64
import json
import random
import string

import pytest

from ftqa.detect.pii import find_pii
from ftqa.detect.placeholders import looks_fake, real_password
from ftqa.detect.secret_shapes import valid_jwt
from ftqa.detect.secrets import find_secrets

RNG = random.Random(1307)
ALNUM = string.ascii_letters + string.digits


def _rand(length: int, alphabet: str = ALNUM) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(length))


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _rules(text: str) -> list[str]:
    return [secret.rule for secret in find_secrets(text)]


def _found(text: str) -> list[tuple[str, str]]:
    secrets = [(s.rule, text[s.start : s.end]) for s in find_secrets(text)]
    return secrets + [(p.rule, text[p.start : p.end]) for p in find_pii(text)]


HEADER = _b64({"alg": "HS256", "typ": "JWT"})
FIRES = {
    "openai project": "sk-" + "proj-" + _rand(80, ALNUM + "_-"),
    "openai service account": "sk-" + "svcacct-" + _rand(80, ALNUM + "_-"),
    "openai admin": "sk-" + "admin-" + _rand(80, ALNUM + "_-"),
    "anthropic": "sk-" + "ant-api03-" + _rand(93) + "AA",
    "github ghp": "gh" + "p_" + _rand(36),
    "github gho": "gh" + "o_" + _rand(36),
    "github ghs": "gh" + "s_" + _rand(36),
    "github ghu": "gh" + "u_" + _rand(36),
    "github fine-grained": "github" + "_pat_" + _rand(82, ALNUM + "_"),
    "gitlab": "gl" + "pat-" + _rand(20),
    "slack bot": "xo" + "xb-" + _rand(12, string.digits) + "-" + _rand(24),
    "slack user": "xo" + "xp-" + _rand(12, string.digits) + "-" + _rand(24),
    "slack app": "xa" + "pp-1-" + _rand(30),
    "aws key id": "AK" + "IA" + _rand(16, string.ascii_uppercase + string.digits),
    "google": "AI" + "za" + _rand(35),
    "hugging face": "hf" + "_" + _rand(34, string.ascii_letters),
    "stripe secret": "sk" + "_live_" + _rand(24),
    "stripe restricted": "rk" + "_live_" + _rand(24),
    "jwt": f"{HEADER}.{_b64({'sub': _rand(8), 'exp': 1999999999})}.{_rand(43)}",
    "jwt with an opaque payload": f"{HEADER}.{_rand(60)}.{_rand(43)}",
}


@pytest.mark.parametrize("name", FIRES)
def test_every_key_shape_fires(name: str) -> None:
    value = FIRES[name]
    found = find_secrets(f"the credential is {value} ok")
    assert [(s.rule, s.end - s.start) for s in found][:1] in (
        [("api-key", len(value))],
        [("json-web-token", len(value))],
    ), found


def test_aws_secret_with_and_without_keyword() -> None:
    key_id = "AK" + "IA" + _rand(16, string.ascii_uppercase + string.digits)
    secret = _rand(40)
    assert "api-key" in _rules(f"aws_secret_access_key = {secret}")
    paired = find_secrets(f"id {key_id} / {secret}")
    assert [f"{s.label}" for s in paired] == ["AWS access key ID", "AWS secret access key"]


def test_private_key_and_url_password_fire() -> None:
    begin, end = (
        "-----BEGIN " + "EC PRIVATE" + " KEY-----",
        "-----END " + "EC PRIVATE" + " KEY-----",
    )
    body = "\n".join(_rand(64, ALNUM + "+/") for _ in range(4))
    assert _rules(f"{begin}\n{body}\n{end}") == ["private-key"]
    assert _rules(f"redis://default:{_rand(16)}@cache.internal:6379") == ["password-in-url"]


def test_jwt_by_shape_needs_a_json_header_with_alg() -> None:
    assert valid_jwt(f"{HEADER}.{_rand(30)}.{_rand(43)}")
    assert not valid_jwt(f"{_b64({'typ': 'JWT'})}.{_rand(30)}.{_rand(43)}")  # no alg
    assert not valid_jwt(f"eyJ{_rand(20)}.{_rand(30)}.{_rand(43)}")  # header is not JSON
    assert not valid_jwt(f"{HEADER}.{_rand(30)}.{_rand(10)}")  # no real signature


PLACEHOLDERS = [
    "const apiKey = 'API_KEY';",
    'OPENAI_API_KEY="sk-..."',
    "export OPENAI_API_KEY=sk-…",
    'client = OpenAI(api_key="sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")',
    'api_key = "<YOUR_TOKEN>"',
    "token: xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    'password = "changeme"',
    "password = '********'",
    "Authorization: Bearer <token>",
    "api_key: {{ secrets.API_KEY }}",
    "API_KEY=${API_KEY}",
    "gh" + "p_" + "X" * 36,
    'api_key = "your-api-key-here"',
    "AK" + "IAIOSFODNN7" + "EXAMPLE",
    "token = 'YOUR_HF_TOKEN'",
    'HF_TOKEN="hf_..."',
    "apiKey: 'REPLACE_ME'",
    'api_key = "INSERT_KEY_HERE"',
    'secret = "MY_SECRET_2"',
]


@pytest.mark.parametrize("text", PLACEHOLDERS)
def test_placeholders_are_not_secrets(text: str) -> None:
    assert _found(text) == []


def test_placeholder_classes() -> None:
    for value in ("API_KEY", "OPENAI_API_KEY", "TOKEN", "<YOUR_TOKEN>", "xxxxxxxx", "sk-..."):
        assert looks_fake(value), value
    assert not real_password("API_KEY")
    assert not real_password("changeme")
    assert real_password("Tr0ub4dor&3")
    assert not looks_fake(_rand(32))


def _png_base64() -> str:
    return base64.b64encode(bytes(RNG.randrange(256) for _ in range(1200))).decode()


IDS_AND_HASHES = [
    "request 3f2c9a1e-7b4d-4c8e-9f2a-1b3c5d7e9f01 done",
    "id 3F2C9A1E-7B4D-4C8E-9F2A-1B3C5D7E9F01",
    "session_id=8f14e45fceea167a5a36dedd4bea2543",
    "session: AbC123xYz789QwE456rTy0uIo",
    "Session ID: 9b2f6a0c1d3e4f5a6b7c8d9e0f1a2b3c",
    "md5 d41d8cd98f00b204e9800998ecf8427e",
    "d41d8cd98f00b204e9800998ecf8427e",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
    "integrity sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBe"
    "oGlODJ6+SfaPg==",
    f'<img src="data:image/png;base64,{_png_base64()}">',
    f"![chart](data:image/jpeg;base64,{_png_base64()})",
]


@pytest.mark.parametrize("text", IDS_AND_HASHES)
def test_ids_hashes_and_images_are_neither_secrets_nor_personal(text: str) -> None:
    assert _found(text) == []


NOT_PHONES = [
    "at 2025-11-07 23:13 we met",
    "2025-11-07 23:13:45 INFO started",
    "11/07/2025 23:13",
    "1, 2, 3, 4, 5, 6, 7, 8",
    "1 2 3 4 5 6 7 8 9",
    "10 20 30 40 50 60",
    "48 / 2 = 24",
    "1234 / 5678 = 0.2173",
    "12345 + 67890 = 80235",
    "v10.0.19041.1234",
    "Version 1.2.3456789",
    "ISBN 978-3-16-148410-0",
    "978-0-596-52068-7",
    "see 0-306-40615-2 now",
    "Order #415 555 2671",
    "order id 415-555-2671",
    "Invoice 2025-000123",
    "1 234 567 890",
    "$1 234 567",
    "population 8 336 817",
    "3.14159265358979",
    "Timestamp: 1699401180",
    "lines 1023-1089, 2210-2299",
]


@pytest.mark.parametrize("text", NOT_PHONES)
def test_numbers_that_are_not_phone_numbers(text: str) -> None:
    assert _found(text) == []


@pytest.mark.parametrize(
    "text",
    ["call 415-555-2671", "Call me at (415) 555-2671", "+44 20 7946 0958", "+33 6 12 34 56 78"],
)
def test_phone_numbers_still_fire(text: str) -> None:
    assert [rule for rule, _ in _found(text)] == ["phone-number"]


def _visa() -> str:
    while True:
        digits = "4" + _rand(15, string.digits)
        total = 0
        for index, char in enumerate(reversed(digits)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return digits


@pytest.mark.parametrize("separator", ["", " ", "-"])
def test_card_numbers_with_spaces_or_dashes_fire(separator: str) -> None:
    digits = _visa()
    written = separator.join(digits[i : i + 4] for i in range(0, 16, 4))
    assert _found(f"card {written} exp 12/29") == [("card-number", written)]


def test_card_near_misses() -> None:
    digits = _visa()
    broken = digits[:-1] + str((int(digits[-1]) + 1) % 10)  # fails the Luhn check
    assert _found(f"card {broken}") == []
    assert _found("card 4111 1111 1111 1111") == []  # a published test number
