"""Finding personal data in one string: email addresses, phone numbers (validated with
`phonenumbers`), payment card numbers (Luhn and issuer ranges), IBANs (ISO 13616 checksum,
`python-stdnum`), public IP addresses and national ID numbers that carry a checksum or strict
format rules (`python-stdnum`). A byte-level pre-filter (`@`, digit runs, `AAdd`) skips strings
that cannot hold any of them.

Detection is best-effort, like every PII detector: names and postal addresses are not looked
for. Each item carries a masked form safe to print (`j…@acme-mail.com`, `•••• 1881 (Visa)`).
The `pii` checker and the outbound-text layer (`ftqa.outbound`) both use the detector.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

from ftqa.detect.pii_numbers import (
    CARD,
    CARD_HINT,
    DIGIT_RUN,
    DOMAIN,
    IBAN,
    IP_CONTEXT,
    IPV4,
    IPV6,
    IPV6_HINT,
    LOCAL_CHARS,
    LOCAL_PART,
    NEGATIVE_CONTEXT,
    PHONE,
    PHONE_CONTEXT,
    VERSION_CONTEXT,
    after_number,
    after_number_or_word,
    after_phone_char,
    after_word,
    after_word_or_dot,
    end_of_prefix,
    matches,
    not_an_isbn,
    phone_in_context,
    phone_shaped,
    valid_iban_prefix,
)
from ftqa.detect.pii_tables import (
    DEFAULT_ALLOWED_IPS,
    DOCUMENTATION_NETWORKS,
    EXAMPLE_IBANS,
    FILE_SUFFIXES,
    ID_LABELS,
    ID_SHAPES,
    NATIONAL_IDS,
    PLACEHOLDER_EMAIL_DOMAINS,
    RESERVED_EMAIL_DOMAINS,
    RESERVED_TLDS,
    SERVICE_EMAILS,
    TEST_CARD_NUMBERS,
    card_brand,
    compiled_ids,
    id_validator,
    luhn,
)
from ftqa.detect.scan import SHAPE_TABLE, non_overlapping, utf8

# Which detection wins when two overlap.
RULE_PRIORITY = {
    "card-number": 0,
    "iban": 1,
    "national-id": 2,
    "email-address": 3,
    "phone-number": 4,
    "ip-address": 5,
}


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


class PiiSettings(Protocol):
    """What the detector reads from the `pii` checker's options."""

    @property
    def allowed_email_domains(self) -> list[str]: ...
    @property
    def allowed_emails(self) -> list[str]: ...
    @property
    def default_region(self) -> str: ...
    @property
    def allowed_ips(self) -> list[str]: ...
    @property
    def private_ips(self) -> bool: ...
    @property
    def allow_test_numbers(self) -> bool: ...
    @property
    def national_ids(self) -> list[str]: ...


@dataclass(frozen=True)
class DefaultPiiSettings:
    """The `pii` checker's defaults, for users of the detector outside the checker."""

    allowed_email_domains: list[str] = field(default_factory=list)
    allowed_emails: list[str] = field(default_factory=list)
    default_region: str = "US"
    allowed_ips: list[str] = field(default_factory=lambda: list(DEFAULT_ALLOWED_IPS))
    private_ips: bool = False
    allow_test_numbers: bool = True
    national_ids: list[str] = field(default_factory=lambda: list(NATIONAL_IDS))


class PiiDetector:
    """Finds personal data in one string. Pure: same text and options, same result."""

    def __init__(self, options: PiiSettings) -> None:
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
        self._ids = compiled_ids(tuple(options.national_ids))
        self._letter_ids = "it_codicefiscale" in options.national_ids

    def may_hold(self, text: str, data: bytes) -> bool:
        """Cheap test on a whole row: False when no string of it can hold anything."""
        if "@" in text:
            return True
        shape = data.translate(SHAPE_TABLE)
        if DIGIT_RUN.search(shape) is not None:
            return True
        if self._letter_ids and b"AAAAAAdd" in shape:
            return True
        return b":" in data and (b"::" in data or IPV6_HINT.search(shape) is not None)

    def find(self, text: str, data: bytes | None = None) -> list[Pii]:
        if data is None:
            data = utf8(text)
        found: list[Pii] = []
        if "@" in text:
            self._find_emails(text, found)
        # Each test below is one fast search over the classified bytes; a run of 7+ digits and
        # separators is needed by every number kind (an IBAN's account part included).
        shape = data.translate(SHAPE_TABLE)
        if DIGIT_RUN.search(shape) is not None:
            if CARD_HINT.search(shape) is not None:
                self._find_cards(text, found)
            if b"AAdd" in shape:
                self._find_ibans(text, found)
            self._find_ids(text, shape, found)
            self._find_phones(text, found)
            if b"d.d" in shape:
                self._find_ipv4(text, found)
        elif self._letter_ids and b"AAAAAAdd" in shape:
            self._find_ids(text, shape, found)
        if b":" in data and (b"::" in data or IPV6_HINT.search(shape)):
            self._find_ipv6(text, found)
        return _resolve(found) if found else found

    # -- emails -------------------------------------------------------------------------------

    def _find_emails(self, text: str, found: list[Pii]) -> None:
        """Around each `@`: the local part before it, the domain after it."""
        at = text.find("@")
        while at >= 0:
            local_match = LOCAL_PART.search(text, max(0, at - 64), at)
            domain_match = DOMAIN.match(text, at + 1)
            if local_match is not None and domain_match is not None:
                self._email(text, local_match.start(), at, domain_match, found)
            at = text.find("@", at + 1)

    def _email(
        self, text: str, start: int, at: int, domain_match: re.Match[str], found: list[Pii]
    ) -> None:
        if start and text[start - 1] in LOCAL_CHARS:
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
        for match in matches(CARD, text, after_number):
            raw = match.group()
            digits = raw.replace(" ", "").replace("-", "")
            if len(set(digits)) < 2 or not luhn(digits):
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

        for match in matches(IBAN, text, after_word):
            compact = match.group().replace(" ", "")
            length = valid_iban_prefix(compact, iban.is_valid)
            if length is None:
                continue
            value = compact[:length]
            if self.options.allow_test_numbers and value in EXAMPLE_IBANS:
                continue
            end = end_of_prefix(text, match.start(), length)
            shown = f"{value[:2]}•• … {value[-4:]}"
            found.append(Pii("iban", f"IBAN ({value[:2]})", match.start(), end, value, shown))

    def _find_ids(self, text: str, shape: bytes, found: list[Pii]) -> None:
        for kind, pattern in self._ids:
            if not any(needle in shape for needle in ID_SHAPES[kind]):
                continue
            for match in matches(pattern, text, after_number_or_word):
                value = match.group()
                try:
                    valid = id_validator(kind)(value)
                except Exception:  # noqa: BLE001 - a validator must not stop the scan
                    valid = False
                if not valid:
                    continue
                compact = re.sub(r"[\s.\-+]", "", value)
                label = ID_LABELS[kind]
                shown = f"{label} ending in {compact[-2:]}"
                found.append(Pii("national-id", label, *match.span(), f"{kind}:{compact}", shown))

    def _find_phones(self, text: str, found: list[Pii]) -> None:
        region = self.options.default_region
        for match in matches(PHONE, text, after_phone_char):
            raw = match.group().rstrip(" .-(/")
            start = match.start()
            if not phone_shaped(raw) or not phone_in_context(text, start, start + len(raw)):
                continue
            if NEGATIVE_CONTEXT.search(text[max(0, start - 30) : start]):
                continue
            formatted = raw.startswith(("+", "00", "(")) or any(c in raw for c in " .-/\u00a0")
            if not formatted and not PHONE_CONTEXT.search(text[max(0, start - 40) : start]):
                continue
            import phonenumbers  # 0.04 s to import: only once a candidate passed the tests above

            try:
                number = phonenumbers.parse(raw, region)
            except phonenumbers.NumberParseException:
                continue
            if not phonenumbers.is_valid_number(number) or not not_an_isbn(raw):
                continue
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            where = phonenumbers.region_code_for_number(number) or "?"
            shown = f"+{number.country_code} …{e164[-2:]} ({where})"
            found.append(Pii("phone-number", "phone number", start, start + len(raw), e164, shown))

    # -- addresses ----------------------------------------------------------------------------

    def _find_ipv4(self, text: str, found: list[Pii]) -> None:
        for match in matches(IPV4, text, after_word_or_dot):
            start, end = match.span()
            value = match.group()
            if VERSION_CONTEXT.search(text[max(0, start - 12) : start]):
                continue
            octets = [int(part) for part in value.split(".")]
            if max(octets[:3]) < 10 and not IP_CONTEXT.search(text[max(0, start - 40) : end + 10]):
                continue  # `8.2.4.44` is a section or version number unless the text says IP
            self._ip(value, start, end, found)

    def _find_ipv6(self, text: str, found: list[Pii]) -> None:
        for match in IPV6.finditer(text):
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


def _resolve(found: list[Pii]) -> list[Pii]:
    return non_overlapping(found, lambda p: (RULE_PRIORITY[p.rule], p.start))


@cache
def default_pii_detector() -> PiiDetector:
    return PiiDetector(DefaultPiiSettings())


def find_pii(text: str) -> list[Pii]:
    """Personal data in `text` with the default settings."""
    return default_pii_detector().find(text)
