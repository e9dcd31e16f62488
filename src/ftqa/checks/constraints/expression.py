"""The expression language of constraints: tokens, a recursive-descent parser and the syntax
tree. Parsed here, never evaluated as Python:

    expression := conjunction ("or" conjunction)*
    conjunction := term ("and" term)*
    term       := "(" expression ")" | comparison
    comparison := COLUMN ("<" | "<=" | ">" | ">=" | "==" | "!=") LITERAL
                | COLUMN ["not"] "in" "[" LITERAL ("," LITERAL)* [","] "]"
    LITERAL    := number | 'string' | "string" | true | false | null
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Union

MAX_EXPRESSION = 2000
MAX_DEPTH = 32


Literal = Union[int, float, str, bool, None]  # noqa: UP007 - a runtime alias


class ExpressionError(ValueError):
    """A constraint expression that is not valid; says where and what was expected."""


@dataclass(frozen=True, slots=True)
class Compare:
    column: str
    op: str
    value: Literal


@dataclass(frozen=True, slots=True)
class Member:
    column: str
    values: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True, slots=True)
class Both:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Either:
    parts: tuple[Node, ...]


Node = Union[Compare, Member, Both, Either]  # noqa: UP007 - a runtime alias

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op><=|>=|==|!=|<|>)
  | (?P<punct>[\[\](),])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)
KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}
_CONSTANTS: dict[str, Literal] = {"true": True, "false": False, "null": None}
_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number, string, op, punct, name, keyword, end
    text: str
    at: int


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise ExpressionError(
                f"unexpected character {source[position]!r} at position {position + 1}"
                + (" (use `==` to compare)" if source[position] == "=" else "")
            )
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "name" and text.lower() in KEYWORDS:
            kind, text = "keyword", text.lower()
        if kind != "space":
            tokens.append(_Token(kind, text, position))
        position = match.end()
    tokens.append(_Token("end", "", len(source)))
    return tokens


class _Parser:
    """Recursive descent over the grammar in the module docstring."""

    def __init__(self, source: str) -> None:
        if len(source) > MAX_EXPRESSION:
            raise ExpressionError(f"longer than {MAX_EXPRESSION} characters")
        self.tokens = _tokens(source)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def _advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _expected(self, what: str) -> ExpressionError:
        token = self.current
        found = "the end" if token.kind == "end" else f"`{token.text}`"
        return ExpressionError(f"expected {what} at position {token.at + 1}, found {found}")

    def parse(self) -> Node:
        if self.current.kind == "end":
            raise ExpressionError("the expression is empty")
        node = self._expression()
        if self.current.kind != "end":
            raise self._expected("`and`, `or` or the end")
        return node

    def _expression(self) -> Node:
        parts = [self._conjunction()]
        while self.current.kind == "keyword" and self.current.text == "or":
            self._advance()
            parts.append(self._conjunction())
        return parts[0] if len(parts) == 1 else Either(tuple(parts))

    def _conjunction(self) -> Node:
        parts = [self._term()]
        while self.current.kind == "keyword" and self.current.text == "and":
            self._advance()
            parts.append(self._term())
        return parts[0] if len(parts) == 1 else Both(tuple(parts))

    def _term(self) -> Node:
        if self.current.kind == "punct" and self.current.text == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionError(f"more than {MAX_DEPTH} nested parentheses")
            self._advance()
            node = self._expression()
            if not (self.current.kind == "punct" and self.current.text == ")"):
                raise self._expected("`)`")
            self._advance()
            self.depth -= 1
            return node
        return self._comparison()

    def _comparison(self) -> Node:
        if self.current.kind != "name":
            raise self._expected("a column name")
        column = self._advance().text
        token = self.current
        if token.kind == "op":
            self._advance()
            value = self._literal()
            if value is None and token.text not in ("==", "!="):
                raise ExpressionError(f"`{token.text} null` is never true; use `== null`")
            if isinstance(value, bool) and token.text not in ("==", "!="):
                raise ExpressionError(f"`{token.text}` does not order true/false")
            return Compare(column, token.text, value)
        negated = False
        if token.kind == "keyword" and token.text == "not":
            self._advance()
            negated = True
        if self.current.kind == "keyword" and self.current.text == "in":
            self._advance()
            return Member(column, self._list(), negated)
        raise self._expected(
            "`in`" if negated else "a comparison (`<`, `<=`, `>`, `>=`, `==`, `!=`, `in`)"
        )

    def _list(self) -> tuple[Literal, ...]:
        if not (self.current.kind == "punct" and self.current.text == "["):
            raise self._expected("`[`")
        self._advance()
        values: list[Literal] = []
        while not (self.current.kind == "punct" and self.current.text == "]"):
            value = self._literal()
            if value is None:
                raise ExpressionError("null in a list; write `column == null or column in [...]`")
            values.append(value)
            if self.current.kind == "punct" and self.current.text == ",":
                self._advance()
            elif not (self.current.kind == "punct" and self.current.text == "]"):
                raise self._expected("`,` or `]`")
        self._advance()
        if not values:
            raise ExpressionError("an empty list")
        return tuple(values)

    def _literal(self) -> Literal:
        token = self.current
        if token.kind == "number":
            self._advance()
            number = float(token.text)
            if not math.isfinite(number):
                raise ExpressionError(f"number out of range at position {token.at + 1}")
            if re.fullmatch(r"-?\d+", token.text):
                return int(token.text)
            return number
        if token.kind == "string":
            self._advance()
            return _ESCAPE.sub(r"\1", token.text[1:-1])
        if token.kind == "keyword" and token.text in _CONSTANTS:
            self._advance()
            return _CONSTANTS[token.text]
        raise self._expected("a number, a quoted string, true, false or null")


def parse(source: str) -> Node:
    """Parse a constraint expression; `ExpressionError` (a `ValueError`) when it is not valid."""
    return _Parser(source).parse()


def columns_of(node: Node) -> list[str]:
    """The columns an expression reads, in order of first use."""
    if isinstance(node, (Compare, Member)):
        return [node.column]
    seen: list[str] = []
    for part in node.parts:
        for column in columns_of(part):
            if column not in seen:
                seen.append(column)
    return seen
