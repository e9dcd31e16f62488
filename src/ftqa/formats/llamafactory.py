"""A LLaMA-Factory `dataset_info.json` entry (its `formatting`, `columns`, `tags`, `ranking`) as
a field mapping: LLaMA-Factory's column names translated to ftqa's format fields."""

from __future__ import annotations

from typing import Any

from ftqa.formats.mapping import FieldMap

INFO_FILE = "dataset_info.json"

# LLaMA-Factory's column names -> ftqa's format fields.
_ALPACA = {"prompt": "instruction", "query": "input", "response": "output"}
_SHAREGPT_TAGS = {
    "user_tag": "user",
    "assistant_tag": "assistant",
    "observation_tag": "tool",
    "function_tag": "function_call",
    "system_tag": "system",
}


def entry_mapping(entry: dict[str, Any], origin: str) -> FieldMap:
    columns = entry.get("columns") if isinstance(entry.get("columns"), dict) else {}
    tags = entry.get("tags") if isinstance(entry.get("tags"), dict) else {}
    fields: dict[str, str] = {}
    if entry.get("formatting", "alpaca") == "sharegpt":
        role_tag = str(tags.get("role_tag", "from"))
        content_tag = str(tags.get("content_tag", "value"))
        sharegpt = (role_tag, content_tag) == ("from", "value")
        fields["conversations" if sharegpt else "messages"] = str(
            columns.get("messages", "conversations")
        )
        for name in ("system", "tools", "chosen", "rejected"):
            if name in columns:
                fields[name] = str(columns[name])
        roles = tuple(
            (str(tags[tag]), role)
            for tag, role in _SHAREGPT_TAGS.items()
            if tag in tags and str(tags[tag]) != role
        )
        role_key = None if sharegpt or role_tag == "role" else role_tag
        content_key = None if sharegpt or content_tag == "content" else content_tag
    else:
        for theirs, ours in _ALPACA.items():
            if theirs in columns:
                fields[ours] = str(columns[theirs])
        for name in ("system", "history", "chosen", "rejected"):
            if name in columns:
                fields[name] = str(columns[name])
        if entry.get("ranking"):
            fields["prompt"] = fields.pop("instruction", "instruction")
        roles, role_key, content_key = (), None, None
    if "kto_tag" in columns:
        fields["label"] = str(columns["kto_tag"])
    identity = tuple((field, key) for field, key in fields.items() if field != key)
    return FieldMap(identity, role_key, content_key, roles, origin)
