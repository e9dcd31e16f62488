"""The `pii` checker: personal data inside examples, found on a best-effort basis.

Emails, phone numbers (validated with `phonenumbers`), payment card numbers (Luhn and issuer
ranges), IBANs (ISO 13616 checksum, `python-stdnum`), public IP addresses and national ID numbers
that carry a checksum or strict format rules (`python-stdnum`). Every string of a row is looked
at; a byte-level pre-filter (`@`, digit runs, `AAdd`) skips strings that cannot hold any of them.

Detection is best-effort, like every PII detector: a clean report is not proof that a dataset
holds no personal data (names and addresses are not looked for at all). Findings never show the
full value, only a masked form such as `j…@acme-mail.com` or `•••• 1881 (Visa)`.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import Field, field_validator

from ftqa.checker import Checker, Edit, Options, Rule
from ftqa.checks._text_scan import (
    SHAPE_TABLE,
    Path,
    Placeholders,
    format_path,
    is_structural,
    iter_strings,
    joined_bytes,
    joined_text,
    non_overlapping,
    replace_spans,
    rewrite_strings,
    text_fields,
    utf8,
)
from ftqa.finding import Finding, Severity
from ftqa.records import Record

W = Severity.WARNING

RULES = (
    Rule("email-address", W, "An email address (best-effort detection).", "unsafe"),
    Rule("phone-number", W, "A valid phone number (best-effort detection).", "unsafe"),
    Rule("card-number", W, "A payment card number that passes the Luhn check.", "unsafe"),
    Rule("iban", W, "An IBAN with a valid checksum.", "unsafe"),
    Rule("ip-address", W, "A public IP address.", "unsafe"),
    Rule("national-id", W, "A national ID number with a valid checksum or format.", "unsafe"),
)
PRIORITY = {
    "card-number": 0,
    "iban": 1,
    "national-id": 2,
    "email-address": 3,
    "phone-number": 4,
    "ip-address": 5,
}
PLACEHOLDER = {
    "email-address": "EMAIL",
    "phone-number": "PHONE",
    "card-number": "CARD_NUMBER",
    "iban": "IBAN",
    "ip-address": "IP_ADDRESS",
    "national-id": "NATIONAL_ID",
}
FIX_HINT = (
    "remove or pseudonymize it (`ftqa fix --redact` replaces it with a placeholder); "
    "allow-list values that are not personal in [tool.ftqa.pii]"
)
BEST_EFFORT = (
    "PII detection is best-effort: it finds emails, phone numbers, card numbers, IBANs, IP "
    "addresses and some national IDs by shape and checksum, not names or postal addresses, "
    "so a clean result does not prove the data holds no personal information."
)

NATIONAL_IDS = (
    "us_ssn",
    "es_dni",
    "es_nie",
    "it_codicefiscale",
    "br_cpf",
    "fr_nir",
    "cn_ric",
    "in_aadhaar",
    "se_personnummer",
    "kr_rrn",
)

# Documentation and reserved names (RFC 2606, RFC 6761) are never personal.
RESERVED_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
# Domains that example and synthetic data use as placeholders (measured on the precision corpus,
# benchmarks/bench_precision.py: `boss@company.com`, `sales@mycompany.com` in tool-use demos).
PLACEHOLDER_EMAIL_DOMAINS = (
    "company.com", "mycompany.com", "yourcompany.com", "domain.com", "yourdomain.com",
    "mydomain.com", "website.com", "mywebsite.com", "yourwebsite.com",
)  # fmt: skip
RESERVED_TLDS = ("test", "example", "invalid", "localhost", "local")
# Addresses that identify a service, not a person.
SERVICE_EMAILS = frozenset({"git@github.com", "git@gitlab.com", "git@bitbucket.org"})
# File names such as `icon@2x.png` look like addresses.
FILE_SUFFIXES = frozenset(
    {"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif", "tiff", "pdf", "css", "js"}
)

# Well-known public resolvers and documentation examples (not personal data).
DEFAULT_ALLOWED_IPS = (
    "8.8.8.8",
    "8.8.4.4",
    "1.1.1.1",
    "1.0.0.1",
    "9.9.9.9",
    "149.112.112.112",
    "208.67.222.222",
    "208.67.220.220",
    "2001:4860:4860::8888",
    "2001:4860:4860::8844",
    "2606:4700:4700::1111",
    "2606:4700:4700::1001",
)
DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)

# Published test card numbers (Stripe, Adyen, Braintree docs) and example IBANs.
TEST_CARD_NUMBERS = frozenset(
    {
        "4242424242424242",
        "4000056655665556",
        "4111111111111111",
        "4012888888881881",
        "4222222222222",
        "4000000000000002",
        "4000000000000077",
        "4000000000009995",
        "5555555555554444",
        "5105105105105100",
        "5200828282828210",
        "2223003122003222",
        "378282246310005",
        "371449635398431",
        "378734493671000",
        "6011111111111117",
        "6011000990139424",
        "6011981111111113",
        "3056930009020004",
        "30569309025904",
        "38520000023237",
        "36227206271667",
        "3566002020360505",
        "3530111333300000",
        "6200000000000005",
    }
)
EXAMPLE_IBANS = frozenset(
    {
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "GB29NWBK60161331926819",
        "GB33BUKB20201555555555",
        "FR1420041010050500013M02606",
        "FR7630006000011234567890189",
        "NL91ABNA0417164300",
        "ES9121000418450200051332",
        "CH9300762011623852957",
        "IT60X0542811101000000123456",
        "BE68539007547034",
        "AT611904300234573201",
    }
)
# SSNs published as examples or voided by the SSA.
EXAMPLE_SSNS = frozenset({"078051120", "219099999", "123456789", "457555462"})


class PiiOptions(Options):
    allowed_email_domains: list[str] = Field(
        default_factory=list,
        description="Your own domains: addresses there (and at subdomains) are not reported. "
        "example.com/.org/.net and the .test/.example/.invalid/.localhost TLDs always are.",
    )
    allowed_emails: list[str] = Field(
        default_factory=list,
        description="Exact addresses that are not personal, e.g. your support address.",
    )
    default_region: str = Field(
        "US",
        description="Region (ISO 3166 alpha-2) for phone numbers written without a country code.",
    )
    allowed_ips: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ALLOWED_IPS),
        description="Addresses or networks never reported (default: public DNS resolvers). "
        "Documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) "
        "are never reported.",
    )
    private_ips: bool = Field(
        False,
        description="Also report private, loopback, link-local and other non-public addresses.",
    )
    allow_test_numbers: bool = Field(
        True, description="Skip published test card numbers and example IBANs."
    )
    national_ids: list[str] = Field(
        default_factory=lambda: list(NATIONAL_IDS),
        description="National ID kinds to look for: " + ", ".join(NATIONAL_IDS) + ".",
    )

    @field_validator("default_region")
    @classmethod
    def _region(cls, value: str) -> str:
        import phonenumbers

        region = value.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown region {value!r} (use an ISO 3166 alpha-2 code like 'US')")
        return region

    @field_validator("national_ids")
    @classmethod
    def _kinds(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(NATIONAL_IDS))
        if unknown:
            raise ValueError(f"unknown national ID kinds {unknown} (known: {list(NATIONAL_IDS)})")
        return value

    @field_validator("allowed_ips")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as error:
                raise ValueError(f"invalid address or network {item!r}") from error
        return value


@dataclass(frozen=True, slots=True)
class Pii:
    """One detected item: `text[start:end]`; `key` is its normalized value (for consistent
    placeholders, never shown), `shown` a masked form safe to print."""

    rule: str
    label: str
    start: int
    end: int
    key: str
    shown: str


# ---------------------------------------------------------------------------------------------
# Patterns

# Patterns start with a character class (or a literal) so that the regex engine skips quickly
# to where a match can start; "not preceded by …" is checked on each match (`_matches`).
_LOCAL_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}\Z")
_LOCAL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")
_DOMAIN = re.compile(
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24}))(?![A-Za-z0-9\-])"
)
_DIGIT_RUN = re.compile(rb"d[d.]{5,}d")
_CARD_HINT = re.compile(rb"d(?:\.?d){12}")
_PHONE = re.compile(r"[+(\d][\d \u00a0().\-/]{5,25}\d(?![\w/]|[.\-]\d)")
_CARD = re.compile(r"\d(?:[ \-]?\d){12,18}(?![ .\-]?\d)")
_IBAN = re.compile(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\w|/\d)")
_IPV6_HINT = re.compile(rb":[dAa]{1,4}:[dAa]{1,4}:")
_IPV6 = re.compile(r"(?<![\w:.])(?=[0-9A-Fa-f:.]*:[0-9A-Fa-f.]*:)[0-9A-Fa-f:.]{2,45}(?![\w:/])")
_IP_CONTEXT = re.compile(
    r"(?i:\bip\b|ipv4|address|addr\b|host|server|client|connect|ping|ssh|curl|wget|dns|proxy"
    r"|gateway|router|firewall|subnet|listen|bind|remote|login|logged|visitor|from\b|://)"
)
_DATE_LIKE = re.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}:\d{2}"
)
_NEGATIVE_CONTEXT = re.compile(
    r"(?i:\b(?:order|invoice|ticket|tracking|ref|reference|case|account|acct|id|sku|isbn"
    r"|serial|part|po|transaction|confirmation|booking|zip|postal|version|build|patent|lot)\b"
    r"|\bno\.|#)[^\n]{0,14}\s*$"
)
_PHONE_CONTEXT = re.compile(
    r"(?i:phone|tel\b|tel:|tel\.|call|mobile|cell|fax|whatsapp|sms|text me|contact|reach|dial"
    r"|número|telefon|téléphone|teléfono|телефон|电话|電話|전화)"
)
_VERSION_CONTEXT = re.compile(r"(?i:v|ver|version|release|build|firmware)\.?\s*$")

_ID_PATTERNS = {
    "us_ssn": r"\d{3}-\d{2}-\d{4}(?![\d\-])",
    "es_dni": r"\d{8}-?[A-HJ-NP-TV-Z](?![\w+\-])",
    "es_nie": r"[XYZ]-?\d{7}-?[A-HJ-NP-TV-Z](?!\w)",
    "it_codicefiscale": r"[A-Z]{6}[0-9LMNP-V]{2}[A-EHLMPR-T][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]"
    r"(?!\w)",
    "br_cpf": r"\d{3}\.\d{3}\.\d{3}-\d{2}(?!\d)",
    "fr_nir": r"[12] ?\d\d ?\d\d ?(?:\d\d|2[AB]) ?\d{3} ?\d{3} ?\d\d(?! ?\d)",
    "cn_ric": r"\d{17}[\dX](?![\dX])",
    "in_aadhaar": r"[2-9]\d{3}[ \-]\d{4}[ \-]\d{4}(?![ \-]?\d)",
    "se_personnummer": r"(?:\d{2})?\d{6}[\-+]\d{4}(?!\d)",
    "kr_rrn": r"\d{6}-\d{7}(?!\d)",
}
# A kind's pattern only runs when the string's classified bytes (digits "d", upper-case
# letters "A", separators ".") hold one of its shapes.
_ID_SHAPES = {
    "us_ssn": (b"ddd.dd.dddd",),
    "es_dni": (b"ddddddddA", b"dddddddd.A"),
    "es_nie": (b"AdddddddA", b"A.ddddddd", b"ddddddd.A"),
    "it_codicefiscale": (b"AAAAAAdd",),
    "br_cpf": (b"ddd.ddd.ddd.dd",),
    "fr_nir": (b"ddddddddddddddd", b"d.dd.dd.dd.ddd.ddd.dd", b"d.dd.dd.dA.ddd.ddd.dd"),
    "cn_ric": (b"ddddddddddddddddd",),
    "in_aadhaar": (b"dddd.dddd.dddd",),
    "se_personnummer": (b"dddddd.dddd",),
    "kr_rrn": (b"dddddd.ddddddd",),
}
_ID_LABELS = {
    "us_ssn": "US social security number",
    "es_dni": "Spanish DNI",
    "es_nie": "Spanish NIE",
    "it_codicefiscale": "Italian codice fiscale",
    "br_cpf": "Brazilian CPF",
    "fr_nir": "French social security number (NIR)",
    "cn_ric": "Chinese resident ID",
    "in_aadhaar": "Indian Aadhaar number",
    "se_personnummer": "Swedish personal identity number",
    "kr_rrn": "South Korean resident registration number",
}
_ID_MODULES = {
    "es_dni": "stdnum.es.dni",
    "es_nie": "stdnum.es.nie",
    "it_codicefiscale": "stdnum.it.codicefiscale",
    "br_cpf": "stdnum.br.cpf",
    "fr_nir": "stdnum.fr.nir",
    "cn_ric": "stdnum.cn.ric",
    "in_aadhaar": "stdnum.in_.aadhaar",
    "se_personnummer": "stdnum.se.personnummer",
    "kr_rrn": "stdnum.kr.rrn",
}
_NEEDS_LETTERS = frozenset({"it_codicefiscale", "es_nie"})

_CARD_BRANDS: tuple[tuple[str, tuple[tuple[int, int], ...], tuple[int, ...]], ...] = (
    ("Visa", ((4, 4),), (13, 16, 19)),
    ("Mastercard", ((51, 55), (2221, 2720)), (16,)),
    ("American Express", ((34, 34), (37, 37)), (15,)),
    ("Discover", ((6011, 6011), (644, 649), (65, 65)), (16, 17, 18, 19)),
    ("JCB", ((3528, 3589),), (16, 17, 18, 19)),
    ("Diners Club", ((300, 305), (36, 36), (38, 39)), (14, 15, 16, 17, 18, 19)),
    ("UnionPay", ((62, 62),), (16, 17, 18, 19)),
    (
        "Maestro",
        ((5018, 5018), (5020, 5020), (5038, 5038), (6304, 6304), (6759, 6763)),
        (12, 13, 14, 15, 16, 17, 18, 19),
    ),
)


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    for brand, ranges, lengths in _CARD_BRANDS:
        if len(digits) not in lengths:
            continue
        for low, high in ranges:
            width = len(str(low))
            if low <= int(digits[:width]) <= high:
                return brand
    return None


@cache
def _id_validator(kind: str) -> Callable[[str], bool]:
    if kind == "us_ssn":
        from stdnum.us import ssn

        return lambda value: ssn.is_valid(value) and value.replace("-", "") not in EXAMPLE_SSNS
    import importlib

    module = importlib.import_module(_ID_MODULES[kind])
    return module.is_valid  # type: ignore[no-any-return]


@cache
def _compiled_ids(kinds: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((kind, re.compile(_ID_PATTERNS[kind])) for kind in kinds)


# ---------------------------------------------------------------------------------------------
# The detector


class Detector:
    """Finds personal data in one string. Pure: same text and options, same result."""

    def __init__(self, options: PiiOptions) -> None:
        self.options = options
        self._email_domains = tuple(
            domain.lower().lstrip("@.")
            for domain in (
                *RESERVED_EMAIL_DOMAINS,
                *PLACEHOLDER_EMAIL_DOMAINS,
                *options.allowed_email_domains,
            )
        )
        self._emails = frozenset(address.lower() for address in options.allowed_emails)
        self._networks = tuple(
            ipaddress.ip_network(item, strict=False) for item in options.allowed_ips
        )
        self._ids = _compiled_ids(tuple(options.national_ids))
        self._letter_ids = "it_codicefiscale" in options.national_ids

    def may_hold(self, text: str, data: bytes) -> bool:
        """Cheap test on a whole row: False when no string of it can hold anything."""
        if "@" in text:
            return True
        shape = data.translate(SHAPE_TABLE)
        if _DIGIT_RUN.search(shape) is not None:
            return True
        if self._letter_ids and b"AAAAAAdd" in shape:
            return True
        return b":" in data and (b"::" in data or _IPV6_HINT.search(shape) is not None)

    def find(self, text: str, data: bytes | None = None) -> list[Pii]:
        if data is None:
            data = utf8(text)
        found: list[Pii] = []
        if "@" in text:
            self._find_emails(text, found)
        # Each test below is one fast search over the classified bytes; a run of 7+ digits and
        # separators is needed by every number kind (an IBAN's account part included).
        shape = data.translate(SHAPE_TABLE)
        if _DIGIT_RUN.search(shape) is not None:
            if _CARD_HINT.search(shape) is not None:
                self._find_cards(text, found)
            if b"AAdd" in shape:
                self._find_ibans(text, found)
            self._find_ids(text, shape, found)
            self._find_phones(text, found)
            if b"d.d" in shape:
                self._find_ipv4(text, found)
        elif self._letter_ids and b"AAAAAAdd" in shape:
            self._find_ids(text, shape, found)
        if b":" in data and (b"::" in data or _IPV6_HINT.search(shape)):
            self._find_ipv6(text, found)
        return _resolve(found) if found else found

    # -- emails -------------------------------------------------------------------------------

    def _find_emails(self, text: str, found: list[Pii]) -> None:
        """Around each `@`: the local part before it, the domain after it."""
        at = text.find("@")
        while at >= 0:
            local_match = _LOCAL_PART.search(text, max(0, at - 64), at)
            domain_match = _DOMAIN.match(text, at + 1)
            if local_match is not None and domain_match is not None:
                self._email(text, local_match.start(), at, domain_match, found)
            at = text.find("@", at + 1)

    def _email(
        self, text: str, start: int, at: int, domain_match: re.Match[str], found: list[Pii]
    ) -> None:
        if start and text[start - 1] in _LOCAL_CHARS:
            return  # longer than 64 characters, or starting with a dot: not an address
        token_start = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start))
        if "://" in text[token_start + 1 : start]:
            return  # the user (and password) part of a URL, not an address
        local = text[start:at]
        domain, tld = domain_match.group(1).lower(), domain_match.group(2).lower()
        address = f"{local.lower()}@{domain}"
        if tld in FILE_SUFFIXES or tld in RESERVED_TLDS:
            return
        if address in SERVICE_EMAILS or address in self._emails:
            return
        if any(domain == d or domain.endswith("." + d) for d in self._email_domains):
            return
        shown = f"{local[0]}…@{domain}"
        end = domain_match.end(1)
        found.append(Pii("email-address", "email address", start, end, address, shown))

    # -- numbers ------------------------------------------------------------------------------

    def _find_cards(self, text: str, found: list[Pii]) -> None:
        for match in _matches(_CARD, text, _after_number):
            raw = match.group()
            digits = raw.replace(" ", "").replace("-", "")
            if len(set(digits)) < 2 or not _luhn(digits):
                continue
            brand = card_brand(digits)
            if brand is None:
                continue
            if self.options.allow_test_numbers and digits in TEST_CARD_NUMBERS:
                continue
            shown = f"•••• {digits[-4:]} ({brand})"
            found.append(Pii("card-number", f"{brand} card number", *match.span(), digits, shown))

    def _find_ibans(self, text: str, found: list[Pii]) -> None:
        from stdnum import iban

        for match in _matches(_IBAN, text, _after_word):
            compact = match.group().replace(" ", "")
            length = _valid_iban_prefix(compact, iban.is_valid)
            if length is None:
                continue
            value = compact[:length]
            if self.options.allow_test_numbers and value in EXAMPLE_IBANS:
                continue
            end = _end_of_prefix(text, match.start(), length)
            shown = f"{value[:2]}•• … {value[-4:]}"
            found.append(Pii("iban", f"IBAN ({value[:2]})", match.start(), end, value, shown))

    def _find_ids(self, text: str, shape: bytes, found: list[Pii]) -> None:
        for kind, pattern in self._ids:
            if not any(needle in shape for needle in _ID_SHAPES[kind]):
                continue
            for match in _matches(pattern, text, _after_number_or_word):
                value = match.group()
                try:
                    valid = _id_validator(kind)(value)
                except Exception:  # noqa: BLE001 - a validator must not stop the scan
                    valid = False
                if not valid:
                    continue
                compact = re.sub(r"[\s.\-+]", "", value)
                label = _ID_LABELS[kind]
                shown = f"{label} ending in {compact[-2:]}"
                found.append(Pii("national-id", label, *match.span(), f"{kind}:{compact}", shown))

    def _find_phones(self, text: str, found: list[Pii]) -> None:
        import phonenumbers

        region = self.options.default_region
        for match in _matches(_PHONE, text, _after_phone_char):
            raw = match.group().rstrip(" .-(/")
            start = match.start()
            if not _phone_shaped(raw):
                continue
            if _NEGATIVE_CONTEXT.search(text[max(0, start - 30) : start]):
                continue
            formatted = raw.startswith(("+", "00", "(")) or any(c in raw for c in " .-/\u00a0")
            if not formatted and not _PHONE_CONTEXT.search(text[max(0, start - 40) : start]):
                continue
            try:
                number = phonenumbers.parse(raw, region)
            except phonenumbers.NumberParseException:
                continue
            if not phonenumbers.is_valid_number(number):
                continue
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            where = phonenumbers.region_code_for_number(number) or "?"
            shown = f"+{number.country_code} …{e164[-2:]} ({where})"
            found.append(Pii("phone-number", "phone number", start, start + len(raw), e164, shown))

    # -- addresses ----------------------------------------------------------------------------

    def _find_ipv4(self, text: str, found: list[Pii]) -> None:
        for match in _matches(_IPV4, text, _after_word_or_dot):
            start, end = match.span()
            value = match.group()
            if _VERSION_CONTEXT.search(text[max(0, start - 12) : start]):
                continue
            octets = [int(part) for part in value.split(".")]
            if max(octets[:3]) < 10 and not _IP_CONTEXT.search(text[max(0, start - 40) : end + 10]):
                continue  # `8.2.4.44` is a section or version number unless the text says IP
            self._ip(value, start, end, found)

    def _find_ipv6(self, text: str, found: list[Pii]) -> None:
        for match in _IPV6.finditer(text):
            value = match.group().rstrip(".")  # a full stop ending the sentence
            groups = [group for group in value.split(":") if group]
            if len(groups) < 3 or sum(len(group) for group in groups) < 8:
                continue  # `::1`, `100::` or `a::b::c` in code: not a host's address
            self._ip(value, match.start(), match.start() + len(value), found)

    def _ip(self, value: str, start: int, end: int, found: list[Pii]) -> None:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return
        if any(address in net for net in DOCUMENTATION_NETWORKS if net.version == address.version):
            return
        if any(address in net for net in self._networks if net.version == address.version):
            return
        if not self.options.private_ips and not address.is_global:
            return
        if address.is_multicast or address.is_unspecified:
            return
        if address.version == 4:
            parts = value.split(".")
            shown = f"{parts[0]}.{parts[1]}.x.x"
            label = "IPv4 address"
        else:
            shown = value.split(":")[0] + ":…"
            label = "IPv6 address"
        found.append(Pii("ip-address", label, start, end, address.compressed, shown))


def _matches(
    pattern: re.Pattern[str], text: str, allowed_after: Callable[[str], bool]
) -> Iterator[re.Match[str]]:
    """Matches of `pattern` whose preceding character passes `allowed_after` (a left
    boundary checked here rather than with a look-behind, which would slow the search)."""
    position = 0
    while True:
        match = pattern.search(text, position)
        if match is None:
            return
        start = match.start()
        if start and not allowed_after(text[start - 1 : start + 1]):
            position = start + 1
            continue
        yield match
        position = match.end()


def _after_word(pair: str) -> bool:
    return not pair[0].isalnum()


def _after_word_or_dot(pair: str) -> bool:
    return not (pair[0].isalnum() or pair[0] in "_.-")


def _after_number(pair: str) -> bool:
    return pair[0] not in "0123456789.-"


def _after_number_or_word(pair: str) -> bool:
    return not (pair[0].isalnum() or pair[0] in "_.,+-")


def _after_phone_char(pair: str) -> bool:
    return not (pair[0].isalnum() or pair[0] in "_+/.-")


_GROUPS = re.compile(r"[ .\-/()\u00a0]+")


_DECIMAL = re.compile(r"\+?\d+[.,]\d+")


def _phone_shaped(raw: str) -> bool:
    """7-15 digits, not a date, an IP address or a decimal number (`+35236450.6`), and a last
    group of 2+ digits (`+33 6 12 34 56 78`, not `…-7`)."""
    digits = sum(map(str.isdigit, raw))
    if not 7 <= digits <= 15 or _DATE_LIKE.fullmatch(raw) or raw.count(".") == 3:
        return False
    if _DECIMAL.fullmatch(raw):
        return False
    groups = [group for group in _GROUPS.split(raw) if group]
    return len(groups[-1]) >= 2


def _valid_iban_prefix(compact: str, is_valid: Callable[[str], bool]) -> int | None:
    """Length of the longest prefix of `compact` that is a valid IBAN (the regex may run into
    a following word)."""
    for length in range(min(len(compact), 34), 14, -1):
        if is_valid(compact[:length]):
            return length
    return None


def _end_of_prefix(text: str, start: int, length: int) -> int:
    """End offset in `text` of the first `length` non-space characters from `start`."""
    seen = 0
    position = start
    while position < len(text) and seen < length:
        if text[position] != " ":
            seen += 1
        position += 1
    return position


def _resolve(found: list[Pii]) -> list[Pii]:
    return non_overlapping(found, lambda p: (PRIORITY[p.rule], p.start))


# ---------------------------------------------------------------------------------------------
# The checker


class PiiChecker(Checker):
    id = "pii"
    summary = "Personal data (best-effort): emails, phone numbers, cards, IBANs, IPs, IDs."
    rules = RULES
    Options = PiiOptions
    options: PiiOptions

    def __init__(self, options: PiiOptions, context: Any) -> None:
        super().__init__(options, context)
        self.detector = Detector(options)
        self._by_rule: Counter[str] = Counter()
        self._by_type: Counter[str] = Counter()
        self._rows = 0
        self._scanned = 0

    def check_record(self, record: Record) -> Iterator[Finding]:
        self._scanned += 1
        row_has = False
        if not self.detector.may_hold(joined_text(record), joined_bytes(record)):
            return
        for path, text in text_fields(record):
            if is_structural(path):
                continue
            items = self.detector.find(text)
            if not items:
                continue
            row_has = True
            field = format_path(path)
            seen: set[tuple[str, str]] = set()
            for item in items:
                if (item.rule, item.key) in seen:
                    continue
                seen.add((item.rule, item.key))
                self._by_rule[item.rule] += 1
                self._by_type[item.label] += 1
                yield self.finding(
                    item.rule,
                    f"possible {item.label} in `{field}` (character {item.start + 1}); "
                    "detection is best-effort",
                    record,
                    field=field,
                    evidence=item.shown,
                    fix=FIX_HINT,
                )
        if row_has:
            self._rows += 1

    def stats(self) -> dict[str, Any]:
        return {
            "rows_scanned": self._scanned,
            "rows_with_pii": self._rows,
            "by_rule": dict(self._by_rule.most_common()),
            "by_type": dict(self._by_type.most_common()),
            "note": BEST_EFFORT,
        }

    def extras(self) -> dict[str, Any]:
        if not self._scanned:
            return {}
        if self._rows:
            found = ", ".join(f"{count} {rule}" for rule, count in self._by_rule.most_common())
            sentence = (
                f"{_rows(self._rows)} personal data ({found}); pseudonymize it before "
                f"training. {BEST_EFFORT}"
            )
        else:
            sentence = f"The pii checker found nothing. {BEST_EFFORT}"
        return {"recommendations": [sentence]}

    def fix(self, raw: Any, finding: Finding, row: int) -> Edit | None:
        """Replace every item of the finding's rule in the row with a typed placeholder
        (`<EMAIL>`, `<PHONE>`, …), the same value always by the same placeholder."""
        return redact(raw, finding.rule, self.detector)


def redact(raw: Any, rule: str, detector: Detector) -> Edit | None:
    names = Placeholders([text for _, text in iter_strings(raw)])
    kind = PLACEHOLDER[rule]
    fields: list[str] = []

    def change(path: Path, text: str) -> str | None:
        if is_structural(path):
            return None
        spans = [
            (item.start, item.end, names.get(kind, item.key))
            for item in detector.find(text)
            if item.rule == rule
        ]
        if not spans:
            return None
        fields.append(f"{format_path(path)} ×{len(spans)}")
        return replace_spans(text, spans)

    value, changed = rewrite_strings(raw, change)
    if not changed:
        return None
    return Edit(value, before=f"{rule} in " + ", ".join(fields), after=", ".join(names.given))


def _rows(count: int) -> str:
    return "1 row holds" if count == 1 else f"{count} rows hold"
