"""Reading OpenAI-style message lists: shared by chat, preference and conversational formats.

Modules: `keys` (roles, keys, part types), `message` (one message and a list of them), `content`
(strings and content parts), `tools` (tool calls and declared tools) and `conversation` (rules
over a whole conversation).
"""

from ftqa.formats.messages.conversation import check_conversation, check_declared_tools
from ftqa.formats.messages.keys import (
    LLAMAFACTORY_KEYS,
    MEDIA_PART_TYPES,
    MESSAGE_KEYS,
    PART_KEYS,
    STANDARD_ROLES,
    TEXT_PART_TYPES,
)
from ftqa.formats.messages.message import read_message, read_messages
from ftqa.formats.messages.tools import read_tools

__all__ = [
    "LLAMAFACTORY_KEYS",
    "MEDIA_PART_TYPES",
    "MESSAGE_KEYS",
    "PART_KEYS",
    "STANDARD_ROLES",
    "TEXT_PART_TYPES",
    "check_conversation",
    "check_declared_tools",
    "read_message",
    "read_messages",
    "read_tools",
]
