"""Geography: country borders, alliance membership, places (gazetteer).

* :mod:`~bmdsim.earth.geography.borders` -- ``country_at(lat_deg, lon_deg)`` from
  Natural Earth 1:10m Admin-0 borders, plus names, geometries and rings for maps.
* :mod:`~bmdsim.earth.geography.alliances` -- NATO and EU membership on a date.
* :mod:`~bmdsim.earth.geography.places` -- towns of at least 15,000 inhabitants
  (GeoNames) and named military sites; exact-name look-up and nearest places.

Data are bundled in ``bmdsim/earth/data`` (built by ``tools/build_geography.py``,
sources and licences in ``docs/geography.md``); nothing downloads at run time.
The submodules load their data on first use, so importing them is cheap.
"""

from __future__ import annotations

import importlib


class UnknownNameError(LookupError):
    """A look-up named something the bundled geography does not know.

    ``kind`` says what was looked up (``"alliance"``, ``"country code"``, ``"place"``),
    ``name`` the name given and ``suggestions`` known names to try instead.
    """

    def __init__(self, kind: str, name: object, suggestions: list[str]) -> None:
        self.kind, self.name, self.suggestions = kind, name, list(suggestions)
        super().__init__(kind, name)

    def __str__(self) -> str:
        hint = f"; try: {', '.join(self.suggestions)}" if self.suggestions else ""
        return f"unknown {self.kind} {self.name!r}{hint}"


_LAZY = {
    "BorderRing": "bmdsim.earth.geography.borders",
    "border_rings": "bmdsim.earth.geography.borders",
    "countries": "bmdsim.earth.geography.borders",
    "country_at": "bmdsim.earth.geography.borders",
    "country_geometry": "bmdsim.earth.geography.borders",
    "country_name": "bmdsim.earth.geography.borders",
    "territory_at": "bmdsim.earth.geography.borders",
    "Alliance": "bmdsim.earth.geography.alliances",
    "accession_date": "bmdsim.earth.geography.alliances",
    "alliance_members": "bmdsim.earth.geography.alliances",
    "is_member": "bmdsim.earth.geography.alliances",
    "Place": "bmdsim.earth.geography.places",
    "PlaceKind": "bmdsim.earth.geography.places",
    "nearest_places": "bmdsim.earth.geography.places",
    "place": "bmdsim.earth.geography.places",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bmdsim.earth.geography' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = ["UnknownNameError", *_LAZY]
