"""Air properties for the equations of motion: a fine USSA76 table, interpolated.

:func:`bmdsim.earth.atmosphere` evaluates the standard exactly but costs a layer search per
call; the equations of motion call it several times per step for every object. This module
samples it once (on first use) on a uniform grid of :data:`STEP_M` metres from -5 km to
1,000 km and interpolates linearly ``ln(density)``, ``ln(pressure)`` and the speed of sound.
One gather of a ``(6,)`` row (values and slopes) per object serves all three quantities.
Interpolation error against :func:`~bmdsim.earth.atmosphere` is below 1e-5 relative in
density and pressure and 0.01 m/s in the speed of sound (tested). Altitudes are clamped to the
grid: below -5 km the -5 km values, above 1,000 km the 1,000 km values (density there,
3.6e-15 kg/m^3, gives no measurable drag).

The arrays are plain numpy, so numba kernels can take them as arguments (see
:func:`air_table`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

#: Grid step [m].
STEP_M: float = 25.0
#: Lowest and highest tabulated altitude [m].
ALT_MIN_M: float = -5_000.0
ALT_MAX_M: float = 1_000_000.0


@dataclass(frozen=True, slots=True, kw_only=True)
class AirTable:
    """Uniform-grid table: ``rows[i] = (ln rho, ln p, c, d ln rho, d ln p, d c)`` at node
    ``i``, the ``d`` columns being derivatives with respect to altitude times the grid step
    (the Hermite form on a unit interval)."""

    alt_min_m: float
    inv_step_per_m: float
    last_node: int
    rows: np.ndarray


@cache
def air_table() -> AirTable:
    """The table, built from :func:`bmdsim.earth.atmosphere` on first call (a few ms)."""
    from bmdsim.earth.atmosphere import atmosphere

    n = round((ALT_MAX_M - ALT_MIN_M) / STEP_M)
    z = np.linspace(ALT_MIN_M, ALT_MAX_M, n + 1)

    def sample(alt):
        a = atmosphere(alt)
        return np.stack(
            [np.log(a.density_kg_m3), np.log(a.pressure_pa), a.speed_of_sound_m_s], axis=-1
        )

    dz = 1.0
    vals = sample(z)
    # one-sided at the ends of the grid (the table is clamped there anyway)
    above = sample(np.minimum(z + dz, ALT_MAX_M))
    below = sample(np.maximum(z - dz, ALT_MIN_M))
    span = np.minimum(z + dz, ALT_MAX_M) - np.maximum(z - dz, ALT_MIN_M)
    slopes = (above - below) / span[:, None] * STEP_M
    rows = np.ascontiguousarray(np.concatenate([vals, slopes], axis=-1))
    rows.setflags(write=False)
    return AirTable(alt_min_m=ALT_MIN_M, inv_step_per_m=1.0 / STEP_M, last_node=n, rows=rows)


def air(alt_m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(density kg/m^3, pressure Pa, speed of sound m/s)`` at geometric altitudes [m], any shape."""
    alt = np.asarray(alt_m, dtype=float)
    v = interpolate(air_table(), alt.ravel())
    return (
        np.exp(v[0]).reshape(alt.shape),
        np.exp(v[1]).reshape(alt.shape),
        v[2].reshape(alt.shape),
    )


def interpolate(table: AirTable, alt_m: np.ndarray) -> np.ndarray:
    """``(3, M)``: ``ln rho``, ``ln p``, ``c`` at altitudes ``alt_m`` ``(M,)`` (cubic Hermite)."""
    x = (alt_m - table.alt_min_m) * table.inv_step_per_m
    np.clip(x, 0.0, table.last_node - 1e-9, out=x)
    i = x.astype(np.intp)
    s = x - i
    r0 = table.rows[i].T
    r1 = table.rows[i + 1].T
    s2 = s * s
    s3 = s2 * s
    h01 = 3.0 * s2 - 2.0 * s3
    h10 = s3 - 2.0 * s2 + s
    h11 = s3 - s2
    return r0[:3] + h01 * (r1[:3] - r0[:3]) + h10 * r0[3:] + h11 * r1[3:]


__all__ = ["ALT_MAX_M", "ALT_MIN_M", "STEP_M", "AirTable", "air", "air_table", "interpolate"]
