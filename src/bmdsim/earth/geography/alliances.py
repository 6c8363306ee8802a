"""Membership of NATO and the European Union on a given date.

Members are ISO 3166-1 alpha-3 codes, the codes :func:`~bmdsim.earth.geography.borders.country_at`
returns. A country is a member *on* a date ``d`` when ``joined <= d`` and, for a
country that left, ``d <= last_day``. Dates are calendar dates (UTC when a
``datetime`` is given).

Sources:

* NATO, "Member countries", https://www.nato.int/cps/en/natohq/topics_52044.htm
  (accession dates of the 32 Allies). The 12 founders are members from the entry
  into force of the North Atlantic Treaty, 24 August 1949 (signed 4 April 1949).
  Germany is the Federal Republic (1955), which the reunified country continued.
* European Union, "Country profiles",
  https://european-union.europa.eu/principles-countries-history/country-profiles_en
  ("EU member country since"). Dates before 1 November 1993 are accessions to the
  European Communities, which the EU continued. The United Kingdom joined on
  1 January 1973 and left on 31 January 2020 (its last day as a member; the
  withdrawal took effect at midnight CET, 23:00 UTC).

Territory notes: ``country_at`` reports Akrotiri and Dhekelia as ``GBR`` (NATO
territory) and all of Cyprus, the north included, as ``CYP`` (EU, not NATO). Codes of
dependencies that Natural Earth keeps apart from their sovereign (``GRL``, ``FRO``,
``BMU``, ``PRI``, ...) are not members in these tables.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import numpy as np

from bmdsim.earth.geography import UnknownNameError


class Alliance(StrEnum):
    """The alliances whose membership history is bundled."""

    NATO = "NATO"
    EU = "EU"


_NATO_FOUNDED = dt.date(1949, 8, 24)
_EU_FOUNDED = dt.date(1958, 1, 1)

# alliance -> {iso3: (joined, last_day or None)}
_MEMBERSHIP: dict[Alliance, dict[str, tuple[dt.date, dt.date | None]]] = {
    Alliance.NATO: {
        **{
            c: (_NATO_FOUNDED, None)
            for c in "BEL CAN DNK FRA ISL ITA LUX NLD NOR PRT GBR USA".split()
        },
        "GRC": (dt.date(1952, 2, 18), None),
        "TUR": (dt.date(1952, 2, 18), None),
        "DEU": (dt.date(1955, 5, 6), None),
        "ESP": (dt.date(1982, 5, 30), None),
        **{c: (dt.date(1999, 3, 12), None) for c in "CZE HUN POL".split()},
        **{c: (dt.date(2004, 3, 29), None) for c in "BGR EST LVA LTU ROU SVK SVN".split()},
        "ALB": (dt.date(2009, 4, 1), None),
        "HRV": (dt.date(2009, 4, 1), None),
        "MNE": (dt.date(2017, 6, 5), None),
        "MKD": (dt.date(2020, 3, 27), None),
        "FIN": (dt.date(2023, 4, 4), None),
        "SWE": (dt.date(2024, 3, 7), None),
    },
    Alliance.EU: {
        **{c: (_EU_FOUNDED, None) for c in "BEL DEU FRA ITA LUX NLD".split()},
        "DNK": (dt.date(1973, 1, 1), None),
        "IRL": (dt.date(1973, 1, 1), None),
        "GBR": (dt.date(1973, 1, 1), dt.date(2020, 1, 31)),
        "GRC": (dt.date(1981, 1, 1), None),
        "ESP": (dt.date(1986, 1, 1), None),
        "PRT": (dt.date(1986, 1, 1), None),
        **{c: (dt.date(1995, 1, 1), None) for c in "AUT FIN SWE".split()},
        **{
            c: (dt.date(2004, 5, 1), None)
            for c in "CYP CZE EST HUN LVA LTU MLT POL SVK SVN".split()
        },
        "BGR": (dt.date(2007, 1, 1), None),
        "ROU": (dt.date(2007, 1, 1), None),
        "HRV": (dt.date(2013, 7, 1), None),
    },
}


def _alliance(alliance: str | Alliance) -> Alliance:
    try:
        return Alliance(str(alliance).upper())
    except ValueError:
        raise UnknownNameError("alliance", alliance, [a.value for a in Alliance]) from None


def _date(on: dt.date | dt.datetime) -> dt.date:
    if isinstance(on, dt.datetime):
        if on.tzinfo is not None:
            on = on.astimezone(dt.UTC)
        return on.date()
    if isinstance(on, dt.date):
        return on
    raise TypeError(f"'on' must be a datetime.date or datetime.datetime, got {type(on).__name__}")


def alliance_members(alliance: str | Alliance, on: dt.date | dt.datetime) -> frozenset[str]:
    """ISO alpha-3 codes of the members of ``alliance`` (``"NATO"`` or ``"EU"``,
    case-insensitive) on the date ``on``."""
    table = _MEMBERSHIP[_alliance(alliance)]
    day = _date(on)
    return frozenset(
        c for c, (joined, last) in table.items() if joined <= day and (last is None or day <= last)
    )


def is_member(iso3, alliance: str | Alliance, on: dt.date | dt.datetime):
    """Whether ``iso3`` is a member of ``alliance`` on ``on``.

    ``iso3`` is a code, ``None`` (e.g. a point at sea) or an array of them (as
    returned by ``country_at``); the result is a ``bool`` or a ``bool`` array of
    the same shape.
    """
    members = alliance_members(alliance, on)
    codes = np.asarray(iso3, dtype=object)
    if codes.ndim == 0:
        return codes.item() in members
    flat = np.fromiter((c in members for c in codes.flat), dtype=bool, count=codes.size)
    return flat.reshape(codes.shape)


def accession_date(iso3: str, alliance: str | Alliance) -> dt.date | None:
    """Date ``iso3`` joined ``alliance`` (first day as a member), ``None`` if it never did."""
    entry = _MEMBERSHIP[_alliance(alliance)].get(iso3)
    return None if entry is None else entry[0]
