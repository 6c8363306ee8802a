"""Truth tables from the flight layer's trajectories: states, radar cross-sections, plumes.

A :class:`bmdsim.flight.Flight` holds the reentry vehicle's trajectory (the whole missile
until the last separation) and the spent stages. For the sensors:

* **states**: every object sampled on the given time grid with the flight layer's own
  dense output (:class:`bmdsim.flight.Ephemeris`), NaN before creation and after impact;
* **radar cross-section**: a spent stage has the missile's ``booster_rcs_m2``; the RV object
  has it too while the stack is whole (until the last stage separates, or for ever if the
  RV never separates), then the RV's ``reentry_vehicle.rcs_m2`` (threats.md: RV nose-on
  0.01-0.1 m², booster 1-10 m²);
* **plume**: while the stack thrusts (launch to burnout) its radiant intensity in the
  infrared payload's band is ``PLUME_W_SR_PER_N`` times the vacuum thrust of the burning
  stage; spent stages and the coasting RV have none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from bmdsim.earth.constants import G0_M_S2
from bmdsim.flight import Ephemeris, Flight, ObjectKind, Raid
from bmdsim.sensors.truth import TruthTable

#: Plume radiant intensity per newton of vacuum thrust in the SWIR/MWIR band [W/sr/N]
#: (engineering estimate: gives ~1e5 W/sr for a ~300 kN liquid MRBM stage, inside the
#: 1e4-1e6 W/sr open-literature range for theatre ballistic missile plumes).
PLUME_W_SR_PER_N = 0.3


def _stage_tables(flights: Sequence[Flight]):
    """Per flight: stage end times after launch ``(F, S)`` (inf padding) and vacuum thrusts
    ``(F, S)`` [N]."""
    width = max(len(f.missile.stages) for f in flights)
    ends = np.full((len(flights), width), np.inf)
    thrust = np.zeros((len(flights), width))
    for i, f in enumerate(flights):  # per flight record, not per sample
        st = f.missile.stages
        ends[i, : len(st)] = np.cumsum([s.burn_time_s for s in st])
        thrust[i, : len(st)] = [s.mass_flow_kg_s * s.isp_vac_s * G0_M_S2 for s in st]
    return ends, thrust


def truth_from_flights(
    flights: Raid | Sequence[Flight] | Mapping[str, Flight],
    t_s,
    *,
    plume_w_sr_per_n: float = PLUME_W_SR_PER_N,
) -> TruthTable:
    """A :class:`TruthTable` of every object of ``flights`` on the time grid ``t_s (T,)``.

    ``flights``: a :class:`~bmdsim.flight.Raid`, a sequence of flights (ids ``"T1"``,
    ``"T2"``, ...) or a mapping from threat id to flight. Object ids are
    ``"<threat id>/<trajectory label>"``, e.g. ``"T1/rv"``, ``"T1/stage 1"``.
    """
    if isinstance(flights, Raid):
        flights = flights.flights
    if isinstance(flights, Mapping):
        names, flights = list(flights.keys()), list(flights.values())
    else:
        flights = list(flights)
        names = [f"T{i + 1}" for i in range(len(flights))]
    t = np.asarray(t_s, dtype=float)
    objects = [(i, o) for i, f in enumerate(flights) for o in f.objects]
    owner = np.array([i for i, _ in objects], dtype=np.intp)
    trajs = [o for _, o in objects]
    states = Ephemeris.from_trajectories(trajs).state_at(t)

    is_rv = np.array([o.kind is ObjectKind.RV for o in trajs])
    own_rcs = np.array([o.rcs_m2 for o in trajs])
    booster_rcs = np.array([flights[i].missile.booster_rcs_m2 for i in owner])
    # the RV object is the whole stack until the last separation (never, without stages apart)
    separation = np.array(
        [max((b.start.t_s for b in f.boosters), default=np.inf) for f in flights]
    )[owner]
    stack = is_rv & (t[:, None] < separation)
    rcs = np.where(stack, booster_rcs, own_rcs)

    launch = np.array([f.launch_time_s for f in flights])[owner]
    burnout = np.array([np.inf if f.rv.burnout is None else f.rv.burnout.t_s for f in flights])[
        owner
    ]
    ends, thrust = _stage_tables(flights)
    since = t[:, None] - launch  # (T, N)
    stage = np.sum(since[..., None] >= ends[owner][None, :, :], axis=-1)  # burning stage index
    stage = np.minimum(stage, ends.shape[1] - 1)
    stage_thrust = thrust[owner[None, :], stage]
    burning = is_rv & (since >= 0.0) & (t[:, None] < burnout) & np.isfinite(states[..., 0])
    ir = np.where(burning, plume_w_sr_per_n * stage_thrust, 0.0)

    ids = [f"{names[i]}/{o.label}" for i, o in objects]
    return TruthTable.from_arrays(t, states, rcs_m2=rcs, ir_intensity_w_sr=ir, object_id=ids)
