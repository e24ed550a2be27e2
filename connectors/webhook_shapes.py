"""Field types shared by the providers' webhook payload models (pydantic, strict).

A signed delivery is checked against the shape its topic promises before it is
queued: what a later step would read must be there, with the right type and in a
range the warehouse can hold. Everything else a provider sends is allowed through.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

#: Money and quantities the warehouse holds (DECIMAL(18,4)): anything larger is refused.
MONEY_LIMIT = Decimal(10) ** 14


class Shape(BaseModel):
    """A provider object: the fields Tally reads are typed strictly, the rest pass through."""

    model_config = ConfigDict(extra="allow", strict=True)


def _money(value: Any) -> Any:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("not an amount") from None
    if not amount.is_finite() or abs(amount) >= MONEY_LIMIT:
        raise ValueError("an amount out of range")
    return value


#: A record id: a positive integer below 2**63 or a short non-empty string.
Id = Annotated[StrictInt, Field(ge=1, lt=2**63)] | Annotated[StrictStr, Field(min_length=1,
                                                                            max_length=255)]
#: An amount as text or a number, finite and within :data:`MONEY_LIMIT`.
Money = Annotated[StrictStr | StrictInt | StrictFloat, AfterValidator(_money)]
#: A count (line quantities).
Count = Annotated[StrictInt, Field(ge=0, lt=2**31)]
#: Epoch seconds (Stripe): 1970 to 2200.
Epoch = Annotated[StrictInt, Field(ge=0, lt=7_258_118_400)]
#: Short text (currency codes, statuses, kinds).
Word = Annotated[StrictStr, Field(max_length=255)]
