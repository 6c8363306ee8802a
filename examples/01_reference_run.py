# %% [markdown]
# # 01 — The reference run: 4 March 2026, Dörtyol
# Load the bundled reference scenario, run it with a seed, read the kill chain and draw it.
# Run it as a script (`python examples/01_reference_run.py`) or cell by cell in an editor
# that understands `# %%` cells.

# %%
import sys
from pathlib import Path

import bmdsim

out = Path(sys.argv[1] if len(sys.argv) > 1 else "out/examples")
out.mkdir(parents=True, exist_ok=True)
scenario = bmdsim.load_scenario("dortyol-2026-03-04")
result = bmdsim.run(scenario, seed=0)

# %% The kill chain, in seconds after launch
for step, t in result.summary["timeline"].items():
    print(f"{step:22s} {'—' if t is None else f'{t:7.1f} s'}")

# %% What happened to the threat
threat = result.summary["threats"][0]
print("overflown:", " -> ".join(threat["overflown_countries"]))
print("predicted impact at first evaluation:", threat["predicted_impact"])
print("intercepted:", threat["intercepted"], threat["intercept"])
if threat["debris"]:
    print("debris fell in", threat["debris"]["countries"], "near", threat["debris"]["places"][:3])

# %% Pictures: a map and the timeline (matplotlib figures)
result.plot_map(filename=out / "01_map.png")
result.plot_timeline(filename=out / "01_timeline.png")
print("pictures in", out)
