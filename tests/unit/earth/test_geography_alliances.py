"""NATO and EU membership on a date (NATO "Member countries"; EU "Country profiles")."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bmdsim.earth import alliance_members as lazy_alliance_members
from bmdsim.earth import is_member as lazy_is_member
from bmdsim.earth.geography import UnknownNameError
from bmdsim.earth.geography.alliances import (
    Alliance,
    accession_date,
    alliance_members,
    is_member,
)

EVENT = dt.date(2026, 3, 4)


def test_nato_has_32_members_and_the_eu_27_today():
    assert len(alliance_members("NATO", EVENT)) == 32
    assert len(alliance_members("EU", EVENT)) == 27


def test_member_counts_through_history():
    nato = {1949: 12, 1952: 14, 1955: 15, 1982: 16, 1999: 19, 2004: 26, 2009: 28, 2017: 29,
            2020: 30, 2023: 31, 2024: 32}  # fmt: skip
    for year, n in nato.items():
        assert len(alliance_members(Alliance.NATO, dt.date(year, 12, 31))) == n, year
    eu = {1958: 6, 1973: 9, 1981: 10, 1986: 12, 1995: 15, 2004: 25, 2007: 27, 2013: 28, 2020: 27}
    for year, n in eu.items():
        assert len(alliance_members(Alliance.EU, dt.date(year, 12, 31))) == n, year


def test_finland_joins_nato_on_2023_04_04():
    assert not is_member("FIN", "NATO", dt.date(2023, 4, 3))
    assert is_member("FIN", "NATO", dt.date(2023, 4, 4))
    assert accession_date("FIN", "NATO") == dt.date(2023, 4, 4)


def test_sweden_joins_nato_on_2024_03_07():
    assert not is_member("SWE", "NATO", dt.date(2024, 3, 6))
    assert is_member("SWE", "NATO", dt.date(2024, 3, 7))


def test_cyprus_is_eu_but_not_nato():
    assert is_member("CYP", "EU", EVENT)
    assert not is_member("CYP", "NATO", EVENT)
    assert accession_date("CYP", "NATO") is None


def test_united_kingdom_is_nato_and_was_eu_until_brexit():
    assert is_member("GBR", "NATO", EVENT)
    assert is_member("GBR", "EU", dt.date(2020, 1, 31))
    assert not is_member("GBR", "EU", dt.date(2020, 2, 1))
    assert not is_member("GBR", "EU", EVENT)
    assert not is_member("GBR", "EU", dt.date(1972, 12, 31))


def test_turkiye_is_nato_since_1952_and_not_eu():
    assert is_member("TUR", "NATO", EVENT) and not is_member("TUR", "EU", EVENT)
    assert accession_date("TUR", "NATO") == dt.date(1952, 2, 18)
    assert not is_member("TUR", "NATO", dt.date(1952, 2, 17))


def test_alliance_name_is_case_insensitive_and_unknown_ones_are_listed():
    assert alliance_members("nato", EVENT) == alliance_members(Alliance.NATO, EVENT)
    with pytest.raises(UnknownNameError) as err:
        alliance_members("CSTO", EVENT)
    assert "EU" in str(err.value) and "NATO" in str(err.value)


def test_is_member_is_vectorised_and_none_is_not_a_member():
    codes = np.array([["TUR", None], ["CYP", "GBR"]], dtype=object)
    got = is_member(codes, "NATO", EVENT)
    assert got.dtype == bool and got.shape == (2, 2)
    assert got.tolist() == [[True, False], [False, True]]
    assert is_member(None, "NATO", EVENT) is False


def test_datetime_is_taken_as_its_utc_date():
    tz = dt.timezone(dt.timedelta(hours=3))
    # 02:00 on 4 April 2023 at UTC+3 is still 3 April in UTC
    assert not is_member("FIN", "NATO", dt.datetime(2023, 4, 4, 2, 0, tzinfo=tz))
    assert is_member("FIN", "NATO", dt.datetime(2023, 4, 4, 12, 0, tzinfo=dt.UTC))
    with pytest.raises(TypeError):
        alliance_members("NATO", "2023-04-04")


def test_lazy_exports_from_earth():
    assert lazy_alliance_members is alliance_members and lazy_is_member is is_member
