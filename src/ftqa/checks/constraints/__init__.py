"""The `constraints` checker: a team's own dataset policy, declared in configuration.

```toml
[tool.ftqa.constraints]
rules = [
  { name = "fits-context", check = "tokens_total <= 4096" },
  { name = "known-label", check = "label in ['pos', 'neg']" },
  { name = "multi-turn", check = "turns >= 2", severity = "warning" },
]
```

Each `check` is an expression over the columns of the per-example table (`report.examples`):
the fixed columns (`split`, `file`, `row`, `line`, `format`, `turns`, `label`) and the
measures built-in checkers report (`tokens_total`, `language`, ...; see `columns`). The
expression language is deliberately tiny and parsed here, never evaluated as Python:

    expression := conjunction ("or" conjunction)*
    conjunction := term ("and" term)*
    term       := "(" expression ")" | comparison
    comparison := COLUMN ("<" | "<=" | ">" | ">=" | "==" | "!=") LITERAL
                | COLUMN ["not"] "in" "[" LITERAL ("," LITERAL)* [","] "]"
    LITERAL    := number | 'string' | "string" | true | false | null

A row whose column is empty (null) is not judged by a comparison on that column (three-valued
logic, as in SQL), except by `== null` / `!= null`, which test exactly that.

Each constraint becomes one pandera check; rows are validated lazily (`lazy=True`) in chunks of
`chunk-rows` as they stream past (in `reduce`), keeping only the violations. `map` computes
each row's columns through the same providers as the checkers that report them, so it depends
on no other checker running.

Modules: `columns` (what expressions may read), `expression` (the parser), `evaluation` (over a
chunk of rows), `options`, and `checker` (the class that joins them).
"""

from ftqa.checks.constraints.checker import ConstraintsChecker
from ftqa.checks.constraints.columns import BUILTIN_MEASURES, FIXED_COLUMNS, KNOWN_COLUMNS
from ftqa.checks.constraints.expression import (
    KEYWORDS,
    MAX_DEPTH,
    MAX_EXPRESSION,
    Both,
    Compare,
    Either,
    ExpressionError,
    Literal,
    Member,
    Node,
    columns_of,
    parse,
)
from ftqa.checks.constraints.options import Constraint, ConstraintsOptions

__all__ = [
    "BUILTIN_MEASURES",
    "FIXED_COLUMNS",
    "KEYWORDS",
    "KNOWN_COLUMNS",
    "MAX_DEPTH",
    "MAX_EXPRESSION",
    "Both",
    "Compare",
    "Constraint",
    "ConstraintsChecker",
    "ConstraintsOptions",
    "Either",
    "ExpressionError",
    "Literal",
    "Member",
    "Node",
    "columns_of",
    "parse",
]
