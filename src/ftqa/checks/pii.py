"""The `pii` checker: personal data inside examples, found on a best-effort basis.

Emails, phone numbers, payment card numbers, IBANs, public IP addresses and national ID numbers
with a checksum or strict format, found by the detector of `ftqa.detect.pii` in every string of
a row. Detection is best-effort, like every PII detector: a clean report is not proof that a
dataset holds no personal data (names and addresses are not looked for at all). Findings never
show the full value, only a masked form such as `j…@acme-mail.com` or `•••• 1881 (Visa)`.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from typing import Any

from pydantic import Field, field_validator

from ftqa.checker import Checker, Edit, Options, Rule
from ftqa.detect.keys import KEY_MARK, REPEATED_MARK, Spot, key_strings, rename_keys
from ftqa.detect.pii import Pii, PiiDetector
from ftqa.detect.pii_tables import DEFAULT_ALLOWED_IPS, NATIONAL_IDS
from ftqa.detect.row_scan import (
    Found,
    Hit,
    header_to_scan,
    scan_header,
    scan_spots,
    scan_values,
)
from ftqa.detect.scan import (
    Path,
    Placeholders,
    format_path,
    is_structural,
    iter_strings,
    replace_spans,
    rewrite_strings,
)
from ftqa.finding import Finding, Severity
from ftqa.providers import Provided
from ftqa.providers.text import JOINED_BYTES, JOINED_TEXT, KEY_SPOTS, SPOTS_JOINED, TEXT_FIELDS
from ftqa.records import Record
from ftqa.rowresult import RowKey, RowResult

W = Severity.WARNING

RULES = (
    Rule("email-address", W, "An email address (best-effort detection).", "unsafe"),
    Rule("phone-number", W, "A valid phone number (best-effort detection).", "unsafe"),
    Rule("card-number", W, "A payment card number that passes the Luhn check.", "unsafe"),
    Rule("iban", W, "An IBAN with a valid checksum.", "unsafe"),
    # An address is personal only when it is tied to a person, which its shape cannot tell: on
    # real data most public addresses are servers in examples and tool schemas (measured
    # precision 0 of 1 on the corpus), so the rule informs; raise it in the configuration.
    Rule("ip-address", Severity.INFO, "A public IP address.", "unsafe"),
    Rule("national-id", W, "A national ID number with a valid checksum or format.", "unsafe"),
)
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


# ---------------------------------------------------------------------------------------------
# The checker


class PiiChecker(Checker):
    id = "pii"
    summary = "Personal data (best-effort): emails, phone numbers, cards, IBANs, IPs, IDs."
    rules = RULES
    Options = PiiOptions
    options: PiiOptions
    needs = (TEXT_FIELDS, JOINED_TEXT, JOINED_BYTES, KEY_SPOTS, SPOTS_JOINED)
    pure_map = True
    sees_unreadable_rows = True  # the first row carries the file's header, readable or not

    def __init__(self, options: PiiOptions, context: Any) -> None:
        super().__init__(options, context)
        self.detector = PiiDetector(options)
        self.scanner = PiiScanner(self.detector)
        self._by_rule: Counter[str] = Counter()
        self._by_type: Counter[str] = Counter()
        self._rows = 0
        self._scanned = 0

    def map(self, record: Record, provided: Provided) -> RowResult | None:
        """Findings in the row's values and keys, and in the file's header on its first row.
        Features: whether the row was scanned (it is readable), and `[rule, label, in_header]`
        of each finding."""
        scanner = self.scanner
        header = header_to_scan(record)
        in_header = scan_header(scanner, header) if header is not None else []
        scanned = record.readable and record.row >= 0
        in_row: list[Hit] = []
        if scanned:
            fields = provided(TEXT_FIELDS)
            in_row = scan_values(scanner, fields, provided(JOINED_TEXT), provided(JOINED_BYTES))
            in_row += scan_spots(scanner, provided(KEY_SPOTS), *provided(SPOTS_JOINED))
        if not (scanned or in_header):
            return None
        findings = [self._finding(hit, record) for hit in in_row]
        if header is not None:  # a header is no row
            findings += [self._finding(hit, None, record.file, header.line) for hit in in_header]
        found = [[hit.rule, hit.label, False] for hit in in_row]
        found += [[hit.rule, hit.label, True] for hit in in_header]
        return RowResult(findings, [scanned, found])

    def _finding(
        self, hit: Hit, record: Record | None, file: str | None = None, line: int | None = None
    ) -> Finding:
        return self.finding(
            hit.rule,
            f"possible {hit.label} in {hit.where} (character {hit.start + 1}); "
            "detection is best-effort",
            record,
            field=hit.field,
            evidence=hit.shown,
            fix=FIX_HINT,
            file=file,
            line=line,
        )

    def reduce(self, key: RowKey, features: list[Any]) -> None:
        scanned, found = features
        self._scanned += 1 if scanned else 0
        for rule, label, _ in found:
            self._by_rule[rule] += 1
            self._by_type[label] += 1
        if any(not in_header for _, _, in_header in found):
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
        (`<EMAIL>`, `<PHONE>`, …), the same value always by the same placeholder; a key that
        holds one is renamed. An earlier value of a repeated key goes when the row is
        re-encoded (the row value is the last one's)."""
        if (finding.field or "").endswith(REPEATED_MARK):
            return Edit(raw, before=f"{finding.rule} in {finding.field}", after=DROPPED_REPEATED)
        return redact(raw, finding.rule, self.detector, top_keys=finding.field == KEY_MARK)


DROPPED_REPEATED = (
    "removed with the earlier value of the repeated key: the row is written again with the "
    "last value, the one JSON readers keep"
)


class PiiScanner:
    """What `pii` looks for in a row's places (`ftqa.detect.row_scan`): nothing in structural
    values (ids, roles, names of tools); a name made of digits alone (a numeric id used as a
    key) is not read as a phone or card number."""

    def __init__(self, detector: PiiDetector) -> None:
        self.detector = detector

    def may_hold(self, text: str, data: bytes) -> bool:
        return self.detector.may_hold(text, data)

    def in_value(self, path: Path, text: str) -> list[Found]:
        return [] if is_structural(path) else _found(self.detector.find(text))

    def in_spot(self, spot: Spot) -> list[Found]:
        if spot.kind == "repeated" and is_structural(spot.path):
            return []
        return _found(_in_spot(self.detector, spot))


def _found(items: list[Pii]) -> list[Found]:
    return [Found(item.rule, item.label, item.start, item.shown, item.key) for item in items]


def _in_spot(detector: PiiDetector, spot: Spot) -> list[Pii]:
    if spot.kind != "repeated" and _digits_only(spot.text):
        return []
    return detector.find(spot.text)


NUMBER_CHARACTERS = frozenset("0123456789 +-.()/")


def _digits_only(name: str) -> bool:
    """A name written with digits and number separators alone (`4155552671`, `1-800-555`)."""
    return NUMBER_CHARACTERS.issuperset(name)


def redact(raw: Any, rule: str, detector: PiiDetector, top_keys: bool = True) -> Edit | None:
    """`raw` with every item of `rule` replaced by its placeholder, in values and keys
    (`top_keys=False` leaves the outermost mapping's keys alone: a tabular row's columns)."""
    names = Placeholders([text for _, text in iter_strings(raw)] + key_strings(raw))
    kind = PLACEHOLDER[rule]
    fields: list[str] = []

    def spans_in(text: str, found: list[Pii]) -> list[tuple[int, int, str]]:
        return [(i.start, i.end, names.get(kind, i.key)) for i in found if i.rule == rule]

    def rename(path: Path, key: str) -> str | None:
        spans = spans_in(key, _in_spot(detector, Spot("key", key, path)))
        if not spans:
            return None
        fields.append(f"{Spot('key', key, path).field} ×{len(spans)}")
        return replace_spans(key, spans)

    def change(path: Path, text: str) -> str | None:
        if is_structural(path):
            return None
        spans = spans_in(text, detector.find(text))
        if not spans:
            return None
        fields.append(f"{format_path(path)} ×{len(spans)}")
        return replace_spans(text, spans)

    # Keys first, so that the paths of the values below name placeholders, not personal data.
    value, renamed = rename_keys(raw, rename, top=top_keys)
    value, changed = rewrite_strings(value, change)
    if not (changed or renamed):
        return None
    return Edit(value, before=f"{rule} in " + ", ".join(fields), after=", ".join(names.given))


def _rows(count: int) -> str:
    return "1 row holds" if count == 1 else f"{count} rows hold"
