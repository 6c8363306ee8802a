"""WGS-84 defining and derived constants (NIMA TR8350.2, 3rd ed., 2000), SI units."""

from __future__ import annotations

import math

#: Semi-major axis a [m].
A_M: float = 6_378_137.0
#: Flattening f (dimensionless).
F: float = 1.0 / 298.257223563
#: Semi-minor axis b = a(1 - f) [m].
B_M: float = A_M * (1.0 - F)
#: First eccentricity squared e^2 = f(2 - f).
E2: float = F * (2.0 - F)
#: Second eccentricity squared e'^2 = e^2 / (1 - e^2).
EP2: float = E2 / (1.0 - E2)
#: Earth's gravitational parameter GM (WGS-84, including the atmosphere) [m^3/s^2].
GM_M3_S2: float = 3.986004418e14
#: Earth rotation rate omega [rad/s].
OMEGA_RAD_S: float = 7.292115e-5
#: Unnormalised second zonal harmonic J2 (EGM-96; = -sqrt(5) * C20_bar, C20_bar = -4.84166774985e-4).
J2: float = -math.sqrt(5.0) * -4.84166774985e-4
#: Standard gravity g0 [m/s^2] (CGPM 1901; USSA76).
G0_M_S2: float = 9.80665
#: Mean Earth radius used by spherical-Earth textbook formulas [m].
R_MEAN_M: float = 6_371_000.0
