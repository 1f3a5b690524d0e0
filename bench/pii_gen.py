"""Labelled zh/en PII test lines for ``bench/pii.py``: seeded, deterministic, self-contained.

Every value is made here, independently of aisec's recogniser data: checksums (GB 11643
MOD 11-2, Luhn, GB 32100 / GB 11714) are computed by this module, and the name and
address pools are hand-written below. Each line comes from a template of one context
(chat, form, customer-service log, e-mail, CSV row, parcel, resume, news, log, mixed
zh/en); about 40 % of lines carry no PII at all.

Hard negatives (typed ``neg.*``) are look-alikes that must NOT be detected. They are
recorded beside the PII spans so the benchmark can count false positives per type:

* ``neg.id_bad_check`` 18-digit order number = ID-card body with a wrong check digit
  (also Luhn-invalid and not a valid USCC, so it is no card or credit code either)
* ``neg.luhn_bad_19`` 19-digit UnionPay-looking transaction number failing Luhn
* ``neg.timestamp`` 14-digit timestamp such as 20240101123045
* ``neg.isbn`` ISBN-13, plain or hyphenated
* ``neg.digits11`` 11-digit number not starting 0 or 1[3-9]
* ``neg.phone12`` 12-digit number starting 1[3-9] (a mobile with one digit too many)
* ``neg.uscc_bad_check`` 18-character USCC with a wrong check character
* ``neg.plate_bad_province`` plate whose first character is not a province abbreviation
* ``neg.date``, ``neg.price``, ``neg.product_code``
* ``neg.version`` 3-part, 5-part, or 4-part with a part above 255; a 4-part version
  with every part ≤ 255 *is* a valid IPv4 address and is therefore never generated.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

# --- checksums --------------------------------------------------------------------------

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def id_check_char(body17: str) -> str:
    """GB 11643 MOD 11-2 check character of the first 17 digits of an ID number."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True)) % 11]


def id_valid(value: str) -> bool:
    """True for an 18-character ID number whose check character is right."""
    v = value.upper()
    return bool(re.fullmatch(r"\d{17}[\dX]", v)) and id_check_char(v[:17]) == v[17]


def luhn_valid(digits: str) -> bool:
    """Luhn check over a string of digits."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def luhn_complete(partial: str) -> str:
    """``partial`` plus the Luhn check digit."""
    return next(partial + d for d in "0123456789" if luhn_valid(partial + d))


def org_code_check(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    # GB 11714 values: digits as such, letters A=10 … Z=35 (the full alphabet)
    c = 11 - sum(int(ch, 36) * w for ch, w in zip(body8, _ORG_WEIGHTS, strict=True)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc_check_char(body17: str) -> str:
    """GB 32100 check character of the first 17 characters of a USCC."""
    s = sum(USCC_CHARSET.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - s % 31) % 31]


def uscc_valid(value: str) -> bool:
    """True for an 18-character USCC whose GB 32100 check character is right."""
    return (
        len(value) == 18
        and all(c in USCC_CHARSET for c in value)
        and uscc_check_char(value[:17]) == value[17]
    )


def isbn13_check(body12: str) -> str:
    """ISBN-13 check digit."""
    return str((10 - sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body12))) % 10)


# --- pools (hand-written for the benchmark, not taken from aisec) --------------------------


from pii_gen_data import (  # noqa: E402 - the bench folder is on sys.path
    AREA_CODES,
    BAD_PROVINCE,
    BINS,
    CITIES_ZH,
    COMPANY_WORDS,
    COMPOUND_SURNAMES,
    EMAIL_DOMAINS,
    EN_CITIES,
    EN_FIRST,
    EN_LAST,
    EN_STREETS,
    EN_SUFFIXES,
    GIVEN_CHARS,
    ID_AREAS,
    INDUSTRIES,
    MOBILE_PREFIXES,
    PINYIN,
    PLATE_LETTERS,
    PROVINCE_ABBR,
    SURNAMES,
    TEMPLATES,
    ZH_ESTATES,
    ZH_REGIONS,
    ZH_ROADS,
)


@dataclass
class Item:
    """One labelled line: PII ``spans`` and hard-negative ``negatives`` (kind, start, end)."""

    text: str
    spans: list[dict[str, Any]] = field(default_factory=list)
    negatives: list[dict[str, Any]] = field(default_factory=list)
    lang: str = "zh"
    context: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


class ValueFactory:
    """Makes one value per slot name; PII values are valid, ``neg_*`` values are not."""

    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def _digits(self, n: int, first: str = "0123456789") -> str:
        return self.r.choice(first) + "".join(self.r.choice("0123456789") for _ in range(n - 1))

    def _pick(self, *options: str) -> str:
        return self.r.choice(options)

    def _date(self, start: date, days: int) -> date:
        return start + timedelta(days=self.r.randrange(days))

    def id_body(self) -> str:
        """The first 17 digits of a realistic ID number (born 1945–2008)."""
        born = self._date(date(1945, 1, 1), 365 * 64)
        return self.r.choice(ID_AREAS) + born.strftime("%Y%m%d") + self._digits(3)

    def cn_id_card(self) -> str:
        body = self.id_body()
        if body[6:10] < "1985" and self.r.random() < 0.15:  # legacy 15 digits, no check
            return body[:6] + body[8:17]
        check = id_check_char(body)
        return body + (check.lower() if check == "X" and self.r.random() < 0.3 else check)

    def cn_mobile(self) -> str:
        n = self.r.choice(MOBILE_PREFIXES) + self._digits(8)
        spaced, style = f"{n[:3]} {n[3:7]} {n[7:]}", self.r.random()
        if style < 0.6:
            return n
        if style < 0.7:
            return f"{n[:3]}-{n[3:7]}-{n[7:]}"
        if style < 0.8:
            return spaced
        if style < 0.9:
            return self._pick("+86 ", "+86-", "+86") + n
        return self._pick("0086 ", "+86 ") + spaced

    def cn_landline(self) -> str:
        area = self.r.choice(AREA_CODES)
        local = self._digits(8 if len(area) == 3 or self.r.random() < 0.6 else 7, "2345678")
        h = len(local) // 2
        return self._pick(
            f"{area}-{local}", f"{area}-{local}", f"({area}){local[:h]} {local[h:]}",
            f"（{area}）{local}", f"{area} {local}",
        )  # fmt: skip

    def bank_card(self) -> str:
        bin_ = self.r.choice(BINS)
        length = 19 if bin_.startswith("62") and self.r.random() < 0.5 else 16
        card, style = luhn_complete(bin_ + self._digits(length - 7)), self.r.random()
        if style < 0.55:
            return card
        return (" " if style < 0.85 else "-").join(card[i : i + 4] for i in range(0, length, 4))

    def uscc(self) -> str:
        while True:  # mostly digits in the organisation code, as in real codes
            org = "".join(
                self.r.choice("0123456789" * 4 + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(8)
            )
            body = self._pick(*"15991Y") + self._pick(*"1239") + self.r.choice(ID_AREAS)
            body += org + org_code_check(org)
            value = body + uscc_check_char(body)
            if not id_valid(value):  # an all-digit code must not also read as an ID number
                return value

    def _doc_number(self, letter8: str, letter_letter7: str, other8: str) -> str:
        kind = self.r.random()
        if kind < 0.45:
            return letter8 + self._digits(8)
        if kind < 0.75:
            return letter_letter7 + self.r.choice(PLATE_LETTERS) + self._digits(7)
        return other8 + self._digits(8)

    def passport(self) -> str:
        return self._doc_number("E", "E", "G")

    def hk_macau_permit(self) -> str:
        return self._doc_number("C", "C", "W")

    def _plate_tail(self) -> str:
        chars = [self.r.choice("0123456789") for _ in range(5)]
        for _ in range(self.r.choice([0, 0, 1, 2])):
            chars[self.r.randrange(5)] = self.r.choice(PLATE_LETTERS)
        return "".join(chars)

    def car_plate(self) -> str:
        head = self.r.choice(PROVINCE_ABBR) + self.r.choice(PLATE_LETTERS)
        sep = self._pick("", "", "·", " ")
        if self.r.random() < 0.25:  # new-energy plate: D/F then 5 digits, or 5 digits then D/F
            tail = self._pick(*"DF") + self._digits(5)
            return head + sep + (tail if self.r.random() < 0.7 else tail[1:] + tail[0])
        return head + sep + self._plate_tail()

    def email(self) -> str:
        r = self.r
        local = self._pick(
            r.choice(PINYIN) + r.choice(PINYIN) + str(r.randrange(10, 2000)),
            r.choice(EN_FIRST).lower() + "." + r.choice(EN_LAST).lower().replace("'", ""),
            r.choice(PINYIN) + "_" + r.choice(PINYIN),
            self._digits(9, "123456789"),
        )
        return f"{local}@{r.choice(EMAIL_DOMAINS)}".replace("ü", "u")

    def ipv4(self) -> str:
        first = self.r.choice([10, 172, 192, self.r.randrange(1, 224)])
        return ".".join(str(x) for x in [first, *(self.r.randrange(0, 256) for _ in range(3))])

    def ipv6(self) -> str:
        groups, style = [f"{self.r.randrange(0, 65536):x}" for _ in range(8)], self.r.random()
        if style < 0.5:
            full = ":".join(groups)
            return full if style < 0.35 else full.upper()
        head = "2001:db8" if self.r.random() < 0.4 else "fe80"
        return head + "::" + ":".join(groups[: self.r.randrange(1, 5)])

    def person_name(self) -> str:
        r = self.r
        surname = r.choice(COMPOUND_SURNAMES) if r.random() < 0.12 else r.choice(SURNAMES)
        return surname + "".join(
            r.choice(GIVEN_CHARS) for _ in range(1 if r.random() < 0.35 else 2)
        )

    def en_name(self) -> str:
        first, last = self.r.choice(EN_FIRST), self.r.choice(EN_LAST)
        if self.r.random() < 0.15:
            return f"{first} {self.r.choice('ABCDEHJKLMRST')}. {last}"
        return f"{first} {last}"

    def address(self) -> str:
        r = self.r
        prov, city, district = r.choice(ZH_REGIONS)
        region = (prov if r.random() < 0.6 else "") + city + district
        tail = self._pick(
            f"{r.randrange(1, 30)}栋{r.randrange(1, 6)}单元{r.randrange(1, 33)}0{r.randrange(1, 5)}室",
            f"{r.choice(ZH_ESTATES)}{r.randrange(1, 20)}号楼{r.randrange(1, 28)}0{r.randrange(1, 6)}",
            f"{r.choice(COMPANY_WORDS)}大厦{r.randrange(2, 40)}层",
            "",
        )
        return f"{region}{r.choice(ZH_ROADS)}{r.randrange(1, 999)}号{tail}"

    def en_address(self) -> str:
        r = self.r
        out = f"{r.randrange(1, 9999)} {r.choice(EN_STREETS)} {r.choice(EN_SUFFIXES)}"
        if r.random() < 0.4:
            unit = self._pick(", Apt ", " Apt. ", ", Suite ", ", Unit ", " #")
            out += unit + str(r.randrange(1, 40)) + self._pick("", "B", "C")
        if r.random() < 0.7:
            city, state = r.choice(EN_CITIES)
            out += f", {city}, {state} {self._digits(5, '123456789')}"
        return out

    def qq(self) -> str:
        return self._digits(self.r.randrange(6, 11), "123456789")

    def wechat(self) -> str:
        r = self.r
        if r.random() < 0.4:
            return "wxid_" + "".join(
                r.choice("abcdefghijkmnpqrstuvwxyz0123456789") for _ in range(10)
            )
        return (
            r.choice(PINYIN)
            + self._pick("_", "", "-")
            + r.choice(PINYIN)
            + str(r.randrange(1, 999))
        )

    # --- hard negatives ---
    def neg_id_bad_check(self) -> str:
        while True:  # and no valid 18-digit card or all-digit USCC by chance either
            body = self.id_body()
            value = body + self.r.choice([c for c in "0123456789" if c != id_check_char(body)])
            if not luhn_valid(value) and not uscc_valid(value):
                return value

    def neg_luhn_bad_19(self) -> str:
        while True:
            value = "62" + self._digits(17)
            if not luhn_valid(value):
                return value

    def neg_timestamp(self) -> str:
        day = self._date(date(2015, 1, 1), 3650).strftime("%Y%m%d")
        return (
            day + f"{self.r.randrange(24):02d}{self.r.randrange(60):02d}{self.r.randrange(60):02d}"
        )

    def neg_isbn(self) -> str:
        body = "9787" + self._digits(8)
        v = body + isbn13_check(body)
        return self._pick(v, f"{v[:3]}-{v[3]}-{v[4:8]}-{v[8:12]}-{v[12]}")

    def neg_digits11(self) -> str:
        return self._pick("10", "11", "12", self._digits(2, "23456789")) + self._digits(9)

    def neg_phone12(self) -> str:
        return self.r.choice(MOBILE_PREFIXES) + self._digits(9)

    def neg_uscc_bad_check(self) -> str:
        while True:
            value = self.uscc()
            value = value[:17] + self.r.choice([c for c in USCC_CHARSET if c != value[17]])
            if not id_valid(value):
                return value

    def neg_plate_bad_province(self) -> str:
        return self.r.choice(BAD_PROVINCE) + self.r.choice(PLATE_LETTERS) + self._plate_tail()

    def neg_date(self) -> str:
        fmt = self._pick("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%m/%d/%Y", "%Y%m%d", "%d %b %Y")
        return self._date(date(2000, 1, 1), 9500).strftime(fmt)

    def neg_price(self) -> str:
        v = self.r.randrange(1, 200000) / 100
        return self._pick(f"¥{v:,.2f}", f"${v:.2f}", f"{int(v)}元", f"{v:.1f}万", f"RMB {v:,.2f}")

    def neg_version(self) -> str:
        r = self.r
        return self._pick(
            f"{r.randrange(0, 20)}.{r.randrange(0, 30)}.{r.randrange(0, 100)}",
            ".".join(str(r.randrange(0, 10)) for _ in range(5)),
            f"10.0.{r.randrange(10240, 22631)}.{r.randrange(256, 5000)}",
        )

    def neg_product_code(self) -> str:
        r, d = self.r, self._digits
        return self._pick(
            f"SKU-{d(4)}-{r.choice('XKQZ')}{r.choice('ABM')}", f"MX{r.randrange(2018, 2026)}-{d(5)}",
            f"RTX-{self._pick('3060', '4070', '4090')}", f"P/N {d(2, '1789')}HC{d(3)}N",
            f"{r.choice('ABKT')}{d(3)}-{d(4)}-{r.choice('XYZ')}{d(2)}",
        )  # fmt: skip

    # --- fillers (not labelled) ---
    def city(self) -> str:
        return self.r.choice(CITIES_ZH)

    def company(self) -> str:
        r = self.r
        return r.choice(CITIES_ZH) + r.choice(COMPANY_WORDS) + r.choice(INDUSTRIES) + "有限公司"

    def n(self) -> str:
        return str(self.r.randrange(1, 500))


# slot name -> (label, factory method); labels "pii.*" are gold, "neg.*" hard negatives
SLOTS: dict[str, tuple[str | None, str]] = {
    "id": ("pii.cn_id_card", "cn_id_card"), "mobile": ("pii.cn_mobile", "cn_mobile"),
    "landline": ("pii.cn_landline", "cn_landline"), "card": ("pii.bank_card", "bank_card"),
    "uscc": ("pii.uscc", "uscc"), "passport": ("pii.passport", "passport"),
    "permit": ("pii.hk_macau_permit", "hk_macau_permit"), "plate": ("pii.car_plate", "car_plate"),
    "email": ("pii.email", "email"), "ipv4": ("pii.ipv4", "ipv4"), "ipv6": ("pii.ipv6", "ipv6"),
    "name": ("pii.person_name", "person_name"), "name_en": ("pii.person_name", "en_name"),
    "address": ("pii.address", "address"), "address_en": ("pii.address", "en_address"),
    "qq": ("pii.qq", "qq"), "wechat": ("pii.wechat", "wechat"),
    "n_order": ("neg.id_bad_check", "neg_id_bad_check"), "n_txn": ("neg.luhn_bad_19", "neg_luhn_bad_19"),
    "n_ts": ("neg.timestamp", "neg_timestamp"), "n_isbn": ("neg.isbn", "neg_isbn"),
    "n_d11": ("neg.digits11", "neg_digits11"), "n_p12": ("neg.phone12", "neg_phone12"),
    "n_uscc": ("neg.uscc_bad_check", "neg_uscc_bad_check"),
    "n_plate": ("neg.plate_bad_province", "neg_plate_bad_province"),
    "n_date": ("neg.date", "neg_date"), "n_price": ("neg.price", "neg_price"),
    "n_ver": ("neg.version", "neg_version"), "n_sku": ("neg.product_code", "neg_product_code"),
    "city": (None, "city"), "company": (None, "company"), "n": (None, "n"),
}  # fmt: skip

KINDS = tuple(sorted({label for label, _ in SLOTS.values() if label and label.startswith("pii.")}))
NEGATIVE_TYPES = tuple(sorted({lb for lb, _ in SLOTS.values() if lb and lb.startswith("neg.")}))
# how often a line is built around each kind (the rest come along in the same templates)
KIND_WEIGHTS = {"pii.person_name": 2.0, "pii.address": 2.0, "pii.qq": 0.5, "pii.wechat": 0.5}

_SLOT_RE = re.compile(r"\{(\w+)\}")


def render(template: str, values: ValueFactory) -> tuple[str, list[dict[str, Any]]]:
    """Fill ``template``; return the text and the labelled spans (PII and negatives)."""
    parts: list[str] = []
    spans: list[dict[str, Any]] = []
    pos = last = 0
    for m in _SLOT_RE.finditer(template):
        literal = template[last : m.start()].replace("\\n", "\n")
        parts.append(literal)
        pos += len(literal)
        label, method = SLOTS[m.group(1)]
        value = getattr(values, method)()
        if label is not None:
            spans.append({"kind": label, "start": pos, "end": pos + len(value)})
        parts.append(value)
        pos += len(value)
        last = m.end()
    parts.append(template[last:].replace("\\n", "\n"))
    return "".join(parts), spans


def _templates() -> list[tuple[str, str, str]]:
    out = []
    for line in TEMPLATES.strip().splitlines():
        context, lang, text = line.split("|", 2)
        out.append((context.strip(), lang.strip(), text.strip()))
    return out


def generate(n: int = 5000, seed: int = 20260101, no_pii_share: float = 0.4) -> list[Item]:
    """``n`` labelled lines; the same ``seed`` always gives the same lines."""
    rng = random.Random(seed)
    values = ValueFactory(rng)
    templates = _templates()
    slots_of = [set(_SLOT_RE.findall(t)) for _, _, t in templates]
    pii_slots = {s for s, (lb, _) in SLOTS.items() if lb and lb.startswith("pii.")}
    clean = [t for t, s in zip(templates, slots_of, strict=True) if not s & pii_slots]
    by_kind: dict[str, list[tuple[str, str, str]]] = {k: [] for k in KINDS}
    for t, s in zip(templates, slots_of, strict=True):
        for slot in s & pii_slots:
            by_kind[str(SLOTS[slot][0])].append(t)
    kinds = [k for k in KINDS if by_kind[k]]
    weights = [KIND_WEIGHTS.get(k, 1.0) for k in kinds]
    items: list[Item] = []
    for _ in range(n):
        if rng.random() < no_pii_share:
            context, lang, template = rng.choice(clean)
        else:
            kind = rng.choices(kinds, weights)[0]
            context, lang, template = rng.choice(by_kind[kind])
        text, spans = render(template, values)
        items.append(
            Item(
                text=text,
                spans=[s for s in spans if str(s["kind"]).startswith("pii.")],
                negatives=[s for s in spans if str(s["kind"]).startswith("neg.")],
                lang=lang,
                context=context,
            )
        )
    return items
