"""A return parcel's tracking number in a buyer's line, and whether its shape fits its courier.

Buyers type "退货单号SF1312345678901" or "寄回去了 中通 78123456789012". A number is
kept for an agent only when its shape is one the courier uses (顺丰 SF + 12–13
digits, 圆通 YT + 13–15, 极兔 JT + 13, 京东 JD + 13–15 letters or digits, EMS 13
digits or two letters + 9 digits + CN, the others 12–15 digits): a digit dropped
while typing is caught now, not when the parcel is lost.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

SHAPES = {
    "顺丰": re.compile(r"SF\d{12,13}"),
    "圆通": re.compile(r"YT\d{13,15}"),
    "极兔": re.compile(r"JT\d{13}"),
    "京东": re.compile(r"JD[A-Z0-9]{13,15}"),
    "EMS": re.compile(r"1\d{12}|[A-Z]{2}\d{9}CN"),
}
DIGITS_ONLY = re.compile(r"\d{12,15}")  # 中通, 申通, 韵达, 德邦, 天天 and the rest
PREFIXES = {"SF": "顺丰", "YT": "圆通", "JT": "极兔", "JD": "京东"}
# Something typed as a tracking number: up to four letters (JDVA...), then digits and letters, 8 to 24 long.
CANDIDATE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{0,4}\d[\dA-Za-z]{6,22})(?![A-Za-z0-9])")
ORDER_ID = re.compile(r"\d{19}")  # Tmall order numbers: never a parcel's
MOBILE = re.compile(r"1[3-9]\d{9}")  # a phone number given beside it
# Words that say the number is a parcel's; 订单号 is the order's, not a 单号.
WORDS = re.compile(r"(?<!订)单号|运单|快递号|寄回|寄出|退回|寄过去|发回")


@dataclass(frozen=True)
class TrackingNumber:
    number: str
    courier: Optional[str]  # the courier it names or its prefix implies, if any
    well_formed: bool


def courier_of(number: str, named: Optional[str]) -> Optional[str]:
    return named or PREFIXES.get(number[:2])


def shape_fits(number: str, courier: Optional[str]) -> bool:
    shape = SHAPES.get(courier or "")
    if shape is not None:
        return bool(shape.fullmatch(number))
    return bool(DIGITS_ONLY.fullmatch(number)) or any(s.fullmatch(number) for s in SHAPES.values())


def tracking_number_in(text: str, named_courier: Optional[str] = None) -> Optional[TrackingNumber]:
    """The tracking number the line gives, if it gives one (a number beside 单号 / 寄回 or with a
    courier's prefix): the first that fits its courier's shape, else the first that does not, for
    the buyer to check. None for lines without one; order and phone numbers are never taken."""
    text = text or ""
    about_a_parcel = bool(named_courier or WORDS.search(text))
    about_an_order = "订单" in text
    found = []
    for match in CANDIDATE.finditer(text):
        number = match.group(1).upper()
        if ORDER_ID.fullmatch(number) or MOBILE.fullmatch(number):
            continue
        prefixed = number[:2] in PREFIXES or bool(re.fullmatch(r"[A-Z]{2}\d{9}CN", number))
        if number.isdigit() and about_an_order and not WORDS.search(text):
            continue  # 订单号 followed by digits: the order's number, typed short
        if not (prefixed or about_a_parcel):
            continue
        courier = courier_of(number, named_courier)
        found.append(TrackingNumber(number, courier, shape_fits(number, courier)))
    return next((number for number in found if number.well_formed), found[0] if found else None)
