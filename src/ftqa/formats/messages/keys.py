"""The roles, message keys and content-part types of OpenAI-style messages (and LLaMA-Factory's)."""

from __future__ import annotations

STANDARD_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
MESSAGE_KEYS = frozenset(
    {
        "role",
        "content",
        "name",
        "weight",
        "tool_calls",
        "tool_call_id",
        "function_call",
        "refusal",
    }
)
TEXT_PART_TYPES = frozenset({"text", "input_text", "output_text", "reasoning", "thinking"})
# LLaMA-Factory v1 writes parts as {"type", "value"}, tool calls as "tool_call" parts, per-message
# `loss_weight`, and pairs tool results with calls by position instead of by id.
LLAMAFACTORY_KEYS = frozenset({"loss_weight"})
MEDIA_PART_TYPES = frozenset({"image_url", "input_image", "input_audio", "file", "image", "audio"})
PART_KEYS = frozenset({"type", "text", "value", "image_url", "input_audio", "file", "detail"})
