"""Values that stand in for a secret without being one: documentation placeholders
(`<YOUR_TOKEN>`, `API_KEY`, `sk-...`, `xxxx`, `changeme`, `${DB_PASS}`), common made-up
passwords, and values too regular to be random.

A detector drops a candidate that is a placeholder, so `const apiKey = 'API_KEY';` or
`OPENAI_API_KEY=sk-...` in a tutorial is not reported as a credential.
"""

from __future__ import annotations

import re

# Substrings that mark a value as written by hand for documentation.
PLACEHOLDER_WORDS = (
    "example",
    "xxxx",
    "****",
    "•••",
    "...",
    "your",
    "placeholder",
    "dummy",
    "redacted",
    "sample",
    "changeme",
    "change_me",
    "change-me",
    "insert",
    "replace",
    "<",
    ">",
    "{",
    "}",
    "$",
    "…",
)
FAKE_PASSWORDS = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "pwd",
        "secret",
        "changeme",
        "admin",
        "root",
        "test",
        "testing",
        "example",
        "user",
        "username",
        "guest",
        "demo",
        "default",
        "none",
        "null",
        "true",
        "false",
        "required",
        "optional",
        "string",
        "str",
        "env",
        "value",
        "mypassword",
        "yourpassword",
        "your_password",
        "your-password",
        "password123",
        "123456",
        "12345678",
        "qwerty",
        "letmein",
        "hunter2",
        "foobar",
        "foo",
        "bar",
        "secret123",
        "p@ssw0rd",
        "pa55word",
        "s3cr3t",
    }
)

# An environment-variable or constant name standing for the value: `API_KEY`, `OPENAI_API_KEY`,
# `MY_SECRET_2`, `TOKEN`. Real keys in upper case (AWS key ids) carry digits inside their parts.
_CONSTANT_NAME = re.compile(r"[A-Z]{2,16}|[A-Z]+\d*(?:_(?:[A-Z]+\d*|\d+))+")


def looks_fake(value: str) -> bool:
    """A documentation placeholder or an obviously made-up value."""
    lowered = value.lower()
    if any(_placeholder_word(value, lowered, word) for word in PLACEHOLDER_WORDS):
        return True
    if _CONSTANT_NAME.fullmatch(value.strip("'\"`")):
        return True
    return len(set(value)) < 6


def _placeholder_word(value: str, lowered: str, word: str) -> bool:
    """`word` stands as a word in `value`: at its start or end, next to a separator or a change
    of case. Inside a run of random characters (`…Qw8yourZ3…`: one random 40-character key in
    about 20,000) the same letters are chance, not a placeholder."""
    start = lowered.find(word)
    while start >= 0:
        end = start + len(word)
        if not word.isalnum():
            return True
        before = value[start - 1] if start else ""
        after = value[end] if end < len(value) else ""
        inside = value[start:end]
        if (
            not before
            or not after
            or not before.isalnum()
            or not after.isalnum()
            or (inside.isupper() and not (before.isupper() or after.isupper()))
            or (inside.islower() and before.isupper() and not after.islower())
            or (inside[:1].isupper() and inside[1:].islower() and not after.islower())
        ):
            return True
        start = lowered.find(word, start + 1)
    return False


def real_password(value: str) -> bool:
    """A literal that could be a real password: not a placeholder (`password`, `****`,
    `${DB_PASS}`, `<password>`, `API_KEY`), not a reference (`os.environ[…]`, `get_pw()`)."""
    if len(value) < 4 or len(value) > 256 or any(char.isspace() for char in value):
        return False
    lowered = value.lower()
    if lowered in FAKE_PASSWORDS or lowered.strip("'\"`") in FAKE_PASSWORDS:
        return False
    if looks_fake(value) or value[0] in "%@&" or value.startswith(("os.", "process.", "env")):
        return False
    if "(" in value or ")" in value or "[" in value:
        return False  # a call or an index: an indirect reference, not a literal
    kinds = (
        any(char.islower() for char in value),
        any(char.isupper() for char in value),
        any(char.isdigit() for char in value),
        any(not char.isalnum() for char in value),
    )
    return sum(kinds) >= 2 and len(set(value)) >= 4
