"""The language guess balance reports (`stats.balance.languages.method` names this module); it
lives in `ftqa.detect.language`, shared with the `language` measure."""

from ftqa.detect.language import SAMPLE_CHARS, STOPWORDS, guess_language

__all__ = ["SAMPLE_CHARS", "STOPWORDS", "guess_language"]
