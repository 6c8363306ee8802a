"""Field types shared by the scenario schema: strict numbers with units and ranges, ids.

Numbers are strict: an integer is accepted where a float is expected, but a string
(``"12"``) or a boolean is not, and neither are NaN or infinities.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict


class SpecModel(BaseModel):
    """Base of every scenario record: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def number_field(description: str, **bounds: float):
    return Annotated[
        float, Strict(), Field(allow_inf_nan=False, description=description, **bounds)
    ]


def integer_field(description: str, **bounds: int):
    return Annotated[int, Strict(), Field(description=description, **bounds)]


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"

#: An identifier: letters, digits, ``_``, ``.``, ``-``; starts with a letter or digit.
Id = Annotated[
    str,
    Strict(),
    Field(
        pattern=ID_PATTERN,
        min_length=1,
        max_length=64,
        description="identifier: letters, digits, '_', '.', '-' (first a letter or digit)",
    ),
]
#: ISO 3166-1 alpha-3 country code.
Iso3 = Annotated[
    str, Strict(), Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 code")
]
Text = Annotated[str, Strict()]

LatDeg = number_field("geodetic latitude [deg], WGS-84", ge=-90.0, le=90.0)
LonDeg = number_field("longitude [deg], WGS-84, east positive", ge=-180.0, le=180.0)
AltM = number_field("height above the WGS-84 ellipsoid [m]", ge=-500.0, le=100_000.0)
AzimuthDeg = number_field("azimuth [deg] clockwise from true north", ge=0.0, lt=360.0)
TimeS = number_field("seconds since the scenario epoch [s]", ge=0.0)
DurationS = number_field("duration [s]", ge=0.0)
PositiveDurationS = number_field("duration [s]", gt=0.0)
Probability = number_field("probability", ge=0.0, lt=1.0)
Multiplier = number_field("dimensionless multiplier", gt=0.0)
PositiveFloat = number_field("positive number", gt=0.0)
NonNegativeFloat = number_field("non-negative number", ge=0.0)
Count = integer_field("count", ge=0)
PositiveCount = integer_field("count", ge=1)
Number = number_field("number")
