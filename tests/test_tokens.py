"""ftqa.tokens: offline, verified tokenizer vocabularies, profiles and chat-overhead arithmetic.

Token counts are compared with tiktoken itself: tiktoken builds its own `Encoding` (its split
pattern, its special tokens, its hash check) from a cache directory we fill with the verified
vocabulary, so nothing here needs the network.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import pickle
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ftqa
from ftqa.tokens import (
    ENCODINGS,
    EstimateTokenizer,
    ProfileConfig,
    UnknownProfileError,
    count_tokens,
    get_profile,
    load_encoding,
    load_tokenizer,
    openai_default_epochs,
    profile_data,
    profile_names,
)
from ftqa.tokens.encodings import (
    VocabularyNotFound,
    packaged_path,
    tiktoken_cache_path,
    verified_bytes,
)

DATA = Path(__file__).resolve().parent / "data" / "token_length"
STRINGS = json.loads((DATA / "strings.json").read_text(encoding="utf-8"))["strings"]
TIKTOKEN_SHA256 = {
    # The hashes tiktoken_ext.openai_public passes as expected_hash.
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    return cache


@pytest.fixture(scope="module")
def tiktoken_encodings(tmp_path_factory):
    """tiktoken's own encodings, built by tiktoken from a cache we fill with verified bytes."""
    cache = tmp_path_factory.mktemp("tiktoken-own")
    for spec in ENCODINGS.values():
        data = gzip.decompress(packaged_path(spec.name).read_bytes())
        key = hashlib.sha1(spec.url.encode()).hexdigest()
        (cache / key).write_bytes(data)
    previous = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    try:
        import tiktoken
        import tiktoken_ext.openai_public as public

        encodings = {}
        for name in ENCODINGS:
            encodings[name] = tiktoken.Encoding(**getattr(public, name)())
    finally:
        if previous is None:
            os.environ.pop("TIKTOKEN_CACHE_DIR", None)
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = previous
    return encodings


# -- the shipped vocabulary and its hash --------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TIKTOKEN_SHA256))
def test_expected_hashes_are_tiktokens_and_cover_the_decompressed_file(name):
    import tiktoken_ext.openai_public as public

    source = Path(public.__file__).read_text(encoding="utf-8")
    assert TIKTOKEN_SHA256[name] in source  # the hash tiktoken itself checks
    assert ENCODINGS[name].sha256 == TIKTOKEN_SHA256[name]
    packaged = packaged_path(name)
    assert packaged is not None, "bpe-openai must ship the vocabulary"
    compressed = packaged.read_bytes()
    assert hashlib.sha256(compressed).hexdigest() != TIKTOKEN_SHA256[name]
    assert hashlib.sha256(gzip.decompress(compressed)).hexdigest() == TIKTOKEN_SHA256[name]


def test_resolves_from_the_package_offline_with_an_empty_cache(empty_cache, no_network):
    data, source = verified_bytes(ENCODINGS["o200k_base"])
    assert "bpe-openai" in source
    assert "sha256 verified" in source
    assert hashlib.sha256(data).hexdigest() == TIKTOKEN_SHA256["o200k_base"]
    load_encoding.cache_clear()
    try:
        tokenizer = load_encoding("cl100k_base")
    finally:
        load_encoding.cache_clear()
    assert tokenizer.exact
    assert "bpe-openai" in tokenizer.source
    assert tokenizer.count("Hello, world!") == 4


def test_tiktoken_cache_is_tried_first(empty_cache, no_network):
    spec = ENCODINGS["cl100k_base"]
    data = gzip.decompress(packaged_path(spec.name).read_bytes())
    cached = tiktoken_cache_path(spec)
    assert cached is not None
    assert cached.parent == empty_cache
    cached.write_bytes(data)
    _, source = verified_bytes(spec)
    assert source.startswith("tiktoken cache")


def test_a_corrupted_cache_file_is_skipped_and_kept(empty_cache, no_network):
    spec = ENCODINGS["cl100k_base"]
    cached = tiktoken_cache_path(spec)
    cached.write_bytes(b"IQ== 0\n")
    data, source = verified_bytes(spec)
    assert "bpe-openai" in source
    assert hashlib.sha256(data).hexdigest() == spec.sha256
    assert cached.read_bytes() == b"IQ== 0\n"  # not deleted, not re-downloaded


def test_an_empty_cache_dir_setting_disables_the_cache(monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    assert tiktoken_cache_path(ENCODINGS["o200k_base"]) is None


def _fake_bpe_openai(root: Path) -> Path:
    """A `bpe_openai` package whose shipped vocabularies do not match tiktoken's hashes."""
    data = root / "bpe_openai" / "data"
    data.mkdir(parents=True)
    (root / "bpe_openai" / "__init__.py").write_text("", encoding="utf-8")
    for name in ENCODINGS:
        (data / f"{name}.tiktoken.gz").write_bytes(gzip.compress(b"IQ== 0\nIg== 1\n"))
    return root


def test_nothing_verifies_gives_a_labelled_estimate(tmp_path, empty_cache, no_network):
    fake = _fake_bpe_openai(tmp_path / "fake")
    sys.path.insert(0, str(fake))
    saved = sys.modules.pop("bpe_openai", None)
    load_tokenizer.cache_clear()
    load_encoding.cache_clear()
    try:
        with pytest.raises(VocabularyNotFound, match="sha256"):
            verified_bytes(ENCODINGS["o200k_base"])
        tokenizer = load_tokenizer("o200k_base")
    finally:
        sys.path.remove(str(fake))
        if saved is not None:
            sys.modules["bpe_openai"] = saved
        load_tokenizer.cache_clear()
        load_encoding.cache_clear()
    assert isinstance(tokenizer, EstimateTokenizer)
    assert not tokenizer.exact
    assert tokenizer.source.startswith("estimate")
    assert tokenizer.count("abcdefgh") == 2
    assert tokenizer.count("abcdefghi") == 3
    assert tokenizer.count("") == 0
    assert tokenizer.special_tokens == frozenset(ENCODINGS["o200k_base"].special_tokens)


def test_the_report_labels_an_estimate(tmp_path):
    """End to end, in a fresh process: no verified vocabulary → stats, notes and cost say so."""
    fake = _fake_bpe_openai(tmp_path / "fake")
    cache = tmp_path / "cache"
    cache.mkdir()
    data = tmp_path / "train.jsonl"
    data.write_text(
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "abcdefgh"},
                    {"role": "assistant", "content": "abcd"},
                ]
            }
        )
        + "\n",
        encoding="utf-8",
    )
    guard = textwrap.dedent(
        """
        import socket, sys, runpy
        def refuse(*a, **k):
            raise SystemExit("network access attempted")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        sys.argv = ["ftqa", "check", sys.argv[1], "--select", "token_length", "--format", "json"]
        runpy.run_module("ftqa", run_name="__main__")
        """
    )
    env = dict(os.environ, TIKTOKEN_CACHE_DIR=str(cache), PYTHONPATH=str(fake))
    result = subprocess.run(
        [sys.executable, "-c", guard, str(data)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    stats = report["stats"]["token_length"]
    assert stats["exact"] is False
    assert stats["tokenizer"].startswith("estimate")
    assert any("ESTIMATE" in note for note in stats["notes"])
    assert any("ESTIMATE" in line for line in report["cost"]["assumptions"])
    # ceil(8/4) + ceil(4/4) content, + 2 × (3 + ceil(len(role)/4)) + 3 priming
    assert stats["total"] == 2 + 1 + (3 + 1) + (3 + 3) + 3


# -- counts equal tiktoken's ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_counts_equal_tiktoken_encode_ordinary(name, tiktoken_encodings):
    own = tiktoken_encodings[name]
    ours = load_encoding(name)
    profile = get_profile(name)
    for text in STRINGS:
        expected = len(own.encode_ordinary(text))
        assert count_tokens(profile, text) == expected, text
        assert ours.encoding.encode_ordinary(text) == own.encode_ordinary(text), text


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_special_tokens_match_the_encoding(name, tiktoken_encodings):
    profile = get_profile(name)
    assert profile.special_tokens == tiktoken_encodings[name].special_tokens_set
    assert profile.special_tokens == load_encoding(name).encoding.special_tokens_set
    assert profile.encoding_name == name


def test_leaked_special_tokens_count_as_text():
    profile = get_profile(None)
    text = "<|endoftext|>"
    assert count_tokens(profile, text) > 1
    assert text in profile.special_tokens


# -- profiles ----------------------------------------------------------------------------


def test_default_profile_and_aliases():
    default = get_profile(None)
    assert default.name == "gpt-4o-mini-2024-07-18"
    assert default.encoding_name == "o200k_base"
    assert get_profile("gpt-4o-mini") is default
    assert get_profile("gpt-3.5-turbo").name == "gpt-3.5-turbo-0125"
    assert get_profile("gpt-3.5-turbo").encoding_name == "cl100k_base"


def test_profile_data_has_source_date_and_the_fine_tunable_models():
    data = profile_data()
    assert data.source.startswith("OpenAI")
    assert len(data.date) == 10
    for name in (
        "gpt-4o-2024-08-06",
        "gpt-4o-mini-2024-07-18",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "gpt-3.5-turbo-0125",
    ):
        assert name in profile_names()
        profile = get_profile(name)
        assert profile.max_tokens
        assert profile.max_tokens >= 16385
        assert profile.price_per_million
        assert profile.price_per_million > 0
        assert (profile.tokens_per_message, profile.tokens_per_name, profile.reply_priming) == (
            3,
            1,
            3,
        )


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(UnknownProfileError) as caught:
        get_profile("gpt-9")
    assert "gpt-9" in str(caught.value)
    assert "gpt-4o-mini-2024-07-18" in str(caught.value)
    assert isinstance(caught.value, KeyError)


def test_user_profile_from_config_keys():
    config = ProfileConfig.model_validate(
        {"tokenizer": str(DATA / "tiny-tokenizer.json"), "max-tokens": 20, "price_per_million": 2}
    )
    profile = get_profile("tiny", {"tiny": config})
    assert profile.encoding_name is None
    assert profile.max_tokens == 20
    assert profile.price_per_million == 2
    assert profile.special_tokens == frozenset({"</s>"})
    assert count_tokens(profile, "What is the capital of France?") == 7
    assert count_tokens(profile, "\u200b") == 0


def test_user_profile_based_on_a_builtin():
    config = ProfileConfig.model_validate({"base": "gpt-4o-mini", "max-tokens": 4096})
    profile = get_profile("short-4o-mini", {"short-4o-mini": config})
    assert profile.encoding_name == "o200k_base"
    assert profile.max_tokens == 4096
    assert profile.price_per_million == get_profile("gpt-4o-mini").price_per_million
    assert profile.epochs_rule == "openai"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"encoding": "o200k_base", "tokenizer": "x.json"}, "either"),
        ({"encoding": "p50k"}, "unknown encoding"),
        ({"max-tokens": 10}, "set 'encoding'"),
        ({"encoding": "o200k_base", "max-tokens": 0}, "greater than or equal to 1"),
        ({"encoding": "o200k_base", "context": 10}, "Extra inputs"),
    ],
)
def test_user_profile_validation(config, message):
    with pytest.raises(ValueError, match=message):
        ProfileConfig.model_validate(config)


def test_tokenizer_json_path_as_model_name():
    profile = get_profile(str(DATA / "tiny-tokenizer.json"))
    assert profile.tokenizer_path is not None
    assert count_tokens(profile, "hello world") == 2


# -- chat overhead arithmetic (the cookbook's num_tokens_from_messages) --------------------------


def _cookbook(encoding, messages, per_message=3, per_name=1):
    """OpenAI cookbook: 3 per message, the tokens of every value, 1 more per name, 3 priming."""
    total = 0
    for message in messages:
        total += per_message
        for key, value in message.items():
            total += len(encoding.encode_ordinary(value))
            if key == "name":
                total += per_name
    return total + 3


CONVERSATIONS = [
    [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "Paris."},
    ],
    [
        {"role": "user", "content": "Hi", "name": "alice"},
        {"role": "assistant", "content": "Hello, Alice! 👋"},
        {"role": "user", "content": "日本語で答えて"},
        {"role": "assistant", "content": "はい、わかりました。"},
    ],
]


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-3.5-turbo"])
def test_chat_totals_follow_the_cookbook(model, tiktoken_encodings):
    encoding = tiktoken_encodings[get_profile(model).encoding_name]
    rows = [{"messages": conversation} for conversation in CONVERSATIONS]
    report = ftqa.check(rows, select=["token_length"], model=model, examples=True)
    table = report.examples
    for index, conversation in enumerate(CONVERSATIONS):
        expected = _cookbook(encoding, conversation)
        trainable = sum(
            len(encoding.encode_ordinary(m["content"]))
            for m in conversation
            if m["role"] == "assistant"
        )
        assert table["tokens_total"][index] == expected
        assert table["tokens_trainable"][index] == trainable
        assert table["tokens_prompt"][index] == expected - trainable


def test_hand_computed_overhead():
    # user "Hi" (1 token) + assistant "Hello" (1 token) under o200k: roles are 1 token each.
    report = ftqa.check(
        [
            {
                "messages": [
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello"},
                ]
            }
        ],
        select=["token_length"],
        examples=True,
    )
    assert report.examples["tokens_total"][0] == (3 + 1 + 1) + (3 + 1 + 1) + 3
    assert report.examples["tokens_trainable"][0] == 1


def test_epochs_rule_boundaries():
    # 3 epochs unless examples × 3 leaves 100…25,000; then 100 // n (≤ 25) or 25,000 // n (≥ 1).
    assert openai_default_epochs(1) == 25
    assert openai_default_epochs(3) == 25
    assert openai_default_epochs(4) == 25
    assert openai_default_epochs(5) == 20
    assert openai_default_epochs(33) == 3  # 99 < 100 → 100 // 33 = 3
    assert openai_default_epochs(34) == 3  # 102 ≥ 100
    assert openai_default_epochs(20) == 5
    assert openai_default_epochs(8333) == 3  # 24,999 ≤ 25,000
    assert openai_default_epochs(8334) == 2  # 25,002 > 25,000 → 25,000 // 8,334 = 2
    assert openai_default_epochs(12500) == 2
    assert openai_default_epochs(12501) == 1
    assert openai_default_epochs(1_000_000) == 1


def test_long_texts_are_counted_in_pieces_exactly_and_never_panic():
    """tiktoken panics (a pyo3 PanicException) on runs of ~1M characters of one class
    (tiktoken#15, #245); ftqa encodes long texts in pieces cut at pre-token boundaries."""
    from ftqa.tokens.encodings import PIECE_CHARS, encode_in_pieces

    encoding = load_encoding("o200k_base").encoding
    words = " ".join(f"word{i % 977} and, more: text" for i in range(40_000))
    assert len(words) > 3 * PIECE_CHARS
    assert encode_in_pieces(encoding.encode_ordinary, words) == encoding.encode_ordinary(words)
    hostile = " " * 1_200_000 + "x" + "\t" * 1_100_000
    assert len(encode_in_pieces(encoding.encode_ordinary, hostile)) > 0


def test_token_length_survives_a_row_that_crashes_tiktoken(tmp_path):
    row = {
        "messages": [
            {"role": "user", "content": " " * 1_200_000 + "x"},
            {"role": "assistant", "content": "^" * 1_100_000},
        ]
    }
    path = tmp_path / "hostile.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    report = ftqa.check(path, select=["token_length"])
    (run,) = [run for run in report.checks if run.id == "token_length"]
    assert run.status == "ran", run.note
    assert report.stats["token_length"]["total"] > 0


# -- the parsed-ranks cache ------------------------------------------------------------------


def test_parsed_ranks_are_cached_verified_and_tied_to_their_source(tmp_path, empty_cache):
    from ftqa.tokens import ranks_cache
    from ftqa.tokens.encodings import candidates, parse_ranks
    from ftqa.tokens.loading import verified_ranks

    spec = ENCODINGS["cl100k_base"]
    source = tmp_path / "vocab.tiktoken"
    source.write_bytes(gzip.decompress(packaged_path(spec.name).read_bytes()))
    (empty_cache / tiktoken_cache_path(spec).name).symlink_to(source)
    expected = parse_ranks(source.read_bytes())
    root = tmp_path / "ftqa-cache"

    first, described = verified_ranks(spec, root)
    assert first == expected
    assert "parsed ranks cached" not in described
    entry = ranks_cache.entry_path(root, spec.name, spec.sha256, candidates(spec)[0].path)
    assert entry is not None
    assert entry.is_file()
    second, described = verified_ranks(spec, root)
    assert second == expected
    assert "parsed ranks cached" in described

    damaged = bytearray(entry.read_bytes())
    damaged[-10] ^= 0xFF  # one flipped byte: the payload hash no longer matches
    entry.write_bytes(bytes(damaged))
    assert ranks_cache.load(entry) is None
    third, described = verified_ranks(spec, root)
    assert third == expected
    assert "parsed ranks cached" not in described  # read from the verified source and rewritten
    assert ranks_cache.load(entry) is not None

    os.utime(source, ns=(1, 1))  # the source changed: its old entry does not apply
    fresh = ranks_cache.entry_path(root, spec.name, spec.sha256, candidates(spec)[0].path)
    assert fresh != entry
    assert ranks_cache.load(fresh) is None


def test_an_encoding_is_verified_at_once_and_built_once_on_first_use(no_network):
    import threading

    from ftqa.tokens.loading import EncodingLoader

    loader = EncodingLoader()
    tokenizer = loader("cl100k_base")
    assert loader("cl100k_base") is tokenizer
    assert tokenizer.exact
    assert "sha256 verified" in tokenizer.source
    assert tokenizer.special_tokens == frozenset(ENCODINGS["cl100k_base"].special_tokens)
    assert tokenizer._encoding is None  # verified, not built: nothing has been counted yet
    built = []
    threads = [threading.Thread(target=lambda: built.append(tokenizer.encoding)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 4
    assert all(encoding is built[0] for encoding in built)
    assert tokenizer.count("Hello, world!") == 4
    assert tokenizer.special_tokens == built[0].special_tokens_set
    sent = pickle.loads(pickle.dumps(tokenizer))  # to another process: loaded again there
    assert sent.name == "cl100k_base"
    assert sent.count("Hello, world!") == 4
