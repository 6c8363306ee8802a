"""WGS-84 Earth: frames, gravity, atmosphere, geography. Pure vectorised functions, SI inside.

Geography (borders, alliances, places) is imported lazily on first use so that
``import bmdsim`` stays fast.
"""

from __future__ import annotations

import importlib

# imported eagerly (it is cheap): a lazy attribute would be shadowed by the submodule
# ``bmdsim.earth.atmosphere`` as soon as anything imported it, breaking ``earth.atmosphere(z)``
from bmdsim.earth.atmosphere import atmosphere
from bmdsim.earth.constants import A_M, B_M, E2, G0_M_S2, GM_M3_S2, J2, OMEGA_RAD_S, F
from bmdsim.earth.frames import (
    aer_to_ecef,
    aer_to_enu,
    ecef_to_aer,
    ecef_to_enu,
    ecef_to_geodetic,
    ecef_vector_to_enu,
    enu_basis,
    enu_to_aer,
    enu_to_ecef,
    enu_vector_to_ecef,
    geodetic_to_ecef,
)
from bmdsim.earth.gravity import gravitation_ecef, gravity_ecef, rotating_frame_acceleration

# name -> module that defines it, imported on first attribute access
_LAZY = {
    "geodesic_inverse": "bmdsim.earth.geodesic",
    "geodesic_direct": "bmdsim.earth.geodesic",
    "country_at": "bmdsim.earth.geography.borders",
    "country_name": "bmdsim.earth.geography.borders",
    "alliance_members": "bmdsim.earth.geography.alliances",
    "is_member": "bmdsim.earth.geography.alliances",
    "nearest_places": "bmdsim.earth.geography.places",
    "place": "bmdsim.earth.geography.places",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bmdsim.earth' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "A_M",
    "B_M",
    "E2",
    "F",
    "G0_M_S2",
    "GM_M3_S2",
    "J2",
    "OMEGA_RAD_S",
    "aer_to_ecef",
    "aer_to_enu",
    "atmosphere",
    "ecef_to_aer",
    "ecef_to_enu",
    "ecef_to_geodetic",
    "ecef_vector_to_enu",
    "enu_basis",
    "enu_to_aer",
    "enu_to_ecef",
    "enu_vector_to_ecef",
    "geodetic_to_ecef",
    "gravitation_ecef",
    "gravity_ecef",
    "rotating_frame_acceleration",
    *_LAZY,
]
