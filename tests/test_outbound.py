"""The outbound-text layer (`ftqa.outbound`) and its chokepoints: findings, reports, the
examples table and change-log edits mask what the detectors find, a cut never leaves a
recognisable piece of a secret, hidden characters become visible, and the layer is idempotent.
"""

from __future__ import annotations

import random
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from ftqa.checker import Drop, Edit
from ftqa.finding import Finding, Severity
from ftqa.outbound import (
    clip,
    outbound,
    outbound_excerpt,
    outbound_value,
    prefix_excerpt,
    visible,
    window,
)
from ftqa.report import DatasetInfo, Report, Summary
from ftqa.text import excerpt
from planted import MAKERS, WINDOW

RNG = random.Random(4242)


def _leaked(body: str, text: str) -> bool:
    low = text.lower()
    return any(body[i : i + WINDOW].lower() in low for i in range(len(body) - WINDOW + 1))


def test_every_planted_kind_is_masked_in_free_text() -> None:
    for kind, make in MAKERS.items():
        secret = make(RNG)
        shown = outbound(f"Note: {secret.value} (see above)")
        assert not _leaked(secret.body, shown), (kind, shown)
        assert shown.startswith("Note: "), shown
        assert shown.endswith(" (see above)"), shown


def test_public_prefixes_and_masked_forms_stay_readable() -> None:
    secret = MAKERS["openai-project"](RNG)
    assert outbound(f"key {secret.value}") == "key sk-proj-…[redacted 64 chars]"
    email = MAKERS["email"](RNG)
    assert outbound(email.value).startswith("[email ")
    card = MAKERS["card"](RNG)
    assert outbound(card.value) == f"[card •••• {card.value[-4:]} (Visa)]"


def test_hidden_characters_become_visible_and_line_breaks_stay() -> None:
    text = "a\x1b[31mb\x85c\x9bd\u202ee\u2028f\u2029g\u200bh\x00i\r\n\tj"
    assert outbound(text) == "a␛[31mb<U+0085>c<U+009B>d<U+202E>e<U+2028>f<U+2029>g<U+200B>h␀i␍\n\tj"
    assert visible("dir/\u202efile.jsonl") == "dir/<U+202E>file.jsonl"


def test_paths_are_only_made_visible() -> None:
    email = MAKERS["email"](RNG).value
    assert visible(f"/data/{email}/train.jsonl") == f"/data/{email}/train.jsonl"


def test_plain_text_is_unchanged() -> None:
    for text in ("The capital of France is Paris.", "messages[2].content", "Übersetzung: 東京", ""):
        assert outbound(text) == text
        assert outbound_excerpt(text) == text


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(max_size=40),
    after=st.text(max_size=40),
    kind=st.sampled_from(sorted(MAKERS)),
    seed=st.integers(0, 2**32),
)
def test_outbound_is_idempotent(before: str, after: str, kind: str, seed: int) -> None:
    secret = MAKERS[kind](random.Random(seed))
    text = f"{before} {secret.value} {after}"
    for function in (outbound, outbound_excerpt):
        once = function(text)
        assert function(once) == once


def test_a_cut_at_any_offset_never_leaves_a_piece_of_a_secret() -> None:
    for kind in ("openai-project", "github-ghp", "aws-key-id", "jwt", "email", "card", "phone"):
        secret = MAKERS[kind](RNG)
        text = f"Here it is: {secret.value} and more words after it."
        start = text.index(secret.value)
        for limit in range(start, start + len(secret.value) + 2):
            assert not _leaked(secret.body, clip(text, limit)), (kind, limit, clip(text, limit))
        for first in range(start - 3, start + len(secret.value)):
            shown = window(text, first, first + 20)
            assert not _leaked(secret.body, shown), (kind, first, shown)


def test_fragments_next_to_a_cut_mark_are_masked_and_words_are_not() -> None:
    body = "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(15))
    assert outbound(f"the value ghp_{body[:9]}… and so on") == "the value […]… and so on"
    assert outbound(f"cut …{body} here") == "cut …[…] here"
    assert outbound("a long implementation… goes on") == "a long implementation… goes on"
    assert outbound_excerpt(f"{body} starts the excerpt") == "[…] starts the excerpt"
    assert outbound_excerpt("at 2025-11-07 23:13") == "at 2025-11-07 23:13"


def test_excerpts_never_split_a_token() -> None:
    text = "card 4111 1111 1111 1111 and the key sk-proj-abcdefghijklmnopqrstuvwxyz"
    assert excerpt(text, 20) == "card …"
    assert excerpt(text, 60) == "card 4111 1111 1111 1111 and the key …"


def test_statistics_keep_every_count_when_keys_mask_alike() -> None:
    first, second = MAKERS["openai-project"](RNG), MAKERS["openai-project"](RNG)
    masked = outbound_value({"labels": {first.value: 3, second.value: 4, "ok": 1}})
    assert sorted(masked["labels"].values()) == [1, 3, 4]
    assert not any(_leaked(first.body, key) for key in masked["labels"])


def test_a_finding_built_directly_is_masked() -> None:
    secret = MAKERS["github-pat"](RNG)
    finding = Finding(
        check="plugin",
        rule="anything",
        severity=Severity.ERROR,
        message=f"key {secret.value} seen",
        field=f"metadata.{secret.value}",
        evidence=secret.value,
        fix=f"remove {secret.value}",
        file="data\u202e.jsonl",
    )
    for text in (finding.message, finding.field, finding.evidence, finding.fix):
        assert not _leaked(secret.body, text or ""), text
    assert finding.file == "data<U+202E>.jsonl"
    again = Finding.model_validate_json(finding.model_dump_json())
    assert again == finding


def test_a_report_masks_statistics_recommendations_and_the_examples_table() -> None:
    label, note = MAKERS["slack"](RNG), MAKERS["email"](RNG)
    report = Report(
        dataset=DatasetInfo(path="x.jsonl", sha256="0" * 64, rows=1, format="chat", bytes=1),
        summary=Summary(errors=0, warnings=0, infos=0, passed=True),
        stats={"balance": {"labels": {label.value: 1}}, "note": note.value},
        recommendations=[f"relabel {label.value}"],
    )
    report.attach_examples({"file": ["a.jsonl"], "label": [label.value], "row": [0]})
    shown = report.to_json() + report.examples.to_csv()
    assert not _leaked(label.body, shown)
    assert not _leaked(note.body, shown)


def test_change_log_excerpts_and_reasons_are_masked() -> None:
    secret = MAKERS["anthropic"](RNG)
    cut = secret.value[:30]  # a fixer's excerpt may cut a key
    edit = Edit({"text": secret.value}, before=f"…{cut}", after=f"{secret.value[10:]}<|im_end|>")
    assert edit.value == {"text": secret.value}  # the row itself is never touched
    assert not _leaked(secret.body, f"{edit.before} {edit.after}")
    assert not _leaked(secret.body, Drop(f"bad row {secret.value}").reason)


def test_a_prefix_drops_its_last_token_when_it_may_be_cut() -> None:
    secret = MAKERS["email"](RNG)
    head = f"Contact support at {secret.value}"[:28]  # a common prefix that ends mid-token
    assert prefix_excerpt(head) == "Contact support at …"
    whole = "Answer the question.\n\nQuestion: "
    assert prefix_excerpt(whole) == whole


def test_statistics_treat_the_end_of_long_text_as_a_cut() -> None:
    body = "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(12))
    text = f"You are a helpful assistant, key {body}"
    assert outbound_value({"excerpt": text}, excerpts=True) == {
        "excerpt": "You are a helpful assistant, key […]"
    }
    model = f"st-all-MiniLM-L6-v2-{body}"  # one token: a value, not an excerpt
    assert outbound_value({"label": f"v{body}", "model": model}, excerpts=True) == {
        "label": f"v{body}",
        "model": model,
    }
    assert outbound_value([text]) == [text]  # recommendations: whole sentences


def test_a_private_key_header_masks_whatever_follows_it() -> None:
    body = "".join(RNG.choice(string.ascii_letters) for _ in range(12))
    header = "-----BEGIN " + "RSA PRIVATE" + " KEY-----"
    assert outbound(f"{header}\n{body}") == f"{header}…[redacted 13 chars]"
