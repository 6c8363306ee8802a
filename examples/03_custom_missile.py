# %% [markdown]
# # 03 — A missile the catalog lacks, in a theatre of your own
# Scenario files may define a missile inline or extend a catalog type. Here a validated
# example scenario on a Pacific test range flies a target derived from the Shahab-3.
# The target falls in the open ocean: it threatens no Allied territory and no defended
# asset, so the battle manager's engagement authority does not release the ship's rounds
# (docs/models/engagement.md) — the log shows why, step by step.

# %%
from pathlib import Path

import bmdsim

here = Path(__file__).resolve().parent
scenario = bmdsim.load_scenario(here / "scenarios" / "test-range-notional.yaml")
threat = scenario.threats[0]
print(threat.missile_type.name, "RV mass", threat.missile_type.reentry_vehicle.mass_kg, "kg")

# %%
result = bmdsim.run(scenario)
summary = result.summary["threats"][0]
print("intercepted:", summary["intercepted"], "| impact:", summary["impact"])
log = result.events.query("kind not in ('track_updated', 'threat_updated')")
for row in log.itertuples():
    print(f"{row.time_s:7.1f} s  {row.kind:24s} {row.text}")
