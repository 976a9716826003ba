"""Money is integer grosze everywhere; złoty only at the edges (forms, pages, files).

``zloty_parse`` reads what a Polish clerk types ("1 234,56 zł", "1234.56", "1 234") with
babel's Polish number rules and gives grosze. Amounts are written for a reader, forms'
prefilled values too, by ``core.i18n.format_money``; what it writes in either language is
read back here: an amount as the English console writes it ("PLN 1,234.50", "PLN 12,345",
"1,000,000") is read where it cannot be Polish; "12,345" alone (12.345 zł or 12 345 zł?)
stays refused.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import NumberFormatError, parse_decimal

GROSZE_PER_ZLOTY = 100
MAX_GROSZE = 10**15  # ten trillion złoty: far above any budget, far below int64
# Commas grouping thousands, as English writes them: "1,234", "1,234,567.5".
_ENGLISH = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]{1,2})?")


class MoneyInvalid(ValueError):
    """The text is not an amount of money (or is out of range)."""


def zloty_parse(text: str, *, locale: str = "pl") -> int:
    """Grosze from a typed amount; refuses more than two decimals and absurd sizes."""
    spaced = text.replace("\u00a0", " ").replace("\u202f", " ").strip()
    cleaned = spaced.replace("zł", "").replace("PLN", "").strip().replace(" ", "")
    if not cleaned or len(cleaned) > 24 or not all(c in "0123456789.,-+" for c in cleaned):
        raise MoneyInvalid(text)
    # English grouping where Polish cannot be meant: a decimal dot after the commas, more
    # than one comma, or the currency first ("PLN 150,000", as the English pages write it)
    english = _ENGLISH.fullmatch(cleaned) and (
        "." in cleaned or cleaned.count(",") > 1 or spaced.startswith("PLN")
    )
    if english:
        cleaned = cleaned.replace(",", "")
    try:
        if "," not in cleaned and cleaned.count(".") == 1:
            value = Decimal(cleaned)  # "1234.56": a dot as the decimal sign, as files write it
        else:
            value = parse_decimal(cleaned, locale=locale, strict=False)
    except (NumberFormatError, InvalidOperation, ValueError) as error:
        raise MoneyInvalid(text) from error
    if not value.is_finite() or value < 0 or value.as_tuple().exponent < -2:
        raise MoneyInvalid(text)
    grosze = int((value * GROSZE_PER_ZLOTY).to_integral_value(rounding=ROUND_HALF_UP))
    if grosze > MAX_GROSZE:
        raise MoneyInvalid(text)
    return grosze
