"""Reference tables of the personal-data detector: national ID kinds and their patterns,
card brands and Luhn, documentation values that are never personal (example domains, published
test card numbers, example IBANs and SSNs, public resolvers and documentation networks)."""

from __future__ import annotations

import importlib
import ipaddress
import re
from collections.abc import Callable
from functools import cache

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


ID_PATTERNS = {
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
ID_SHAPES = {
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
ID_LABELS = {
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
ID_MODULES = {
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
NEEDS_LETTERS = frozenset({"it_codicefiscale", "es_nie"})

CARD_BRANDS: tuple[tuple[str, tuple[tuple[int, int], ...], tuple[int, ...]], ...] = (
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


def luhn(digits: str) -> bool:
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
    for brand, ranges, lengths in CARD_BRANDS:
        if len(digits) not in lengths:
            continue
        for low, high in ranges:
            width = len(str(low))
            if low <= int(digits[:width]) <= high:
                return brand
    return None


@cache
def id_validator(kind: str) -> Callable[[str], bool]:
    if kind == "us_ssn":
        from stdnum.us import ssn

        return lambda value: ssn.is_valid(value) and value.replace("-", "") not in EXAMPLE_SSNS
    module = importlib.import_module(ID_MODULES[kind])
    return module.is_valid  # type: ignore[no-any-return]


@cache
def compiled_ids(kinds: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((kind, re.compile(ID_PATTERNS[kind])) for kind in kinds)
