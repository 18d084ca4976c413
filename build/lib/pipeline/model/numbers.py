"""Numbers the Vietnamese way: dot between thousands, comma before decimals (1.250,5)."""

from __future__ import annotations

import math


def vn_number(value: float | int | None, decimals: int | None = 0) -> str:
    """1250.5 -> '1.250,5' with `decimals` places; decimals=None keeps up to two, dropping trailing zeros."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if decimals is None:
        text = f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    else:
        text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
