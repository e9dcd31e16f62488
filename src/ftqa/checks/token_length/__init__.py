"""The `token_length` checker: token counts per example against the target model (see `checker`)."""

from ftqa.checks.token_length.checker import TokenLengthChecker
from ftqa.checks.token_length.options import TokenLengthOptions

__all__ = ["TokenLengthChecker", "TokenLengthOptions"]
