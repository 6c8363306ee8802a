# %% [markdown]
# # 02 — What if the destroyer had not been on station?
# Change a scenario in Python (here: remove the ship's fire unit and its C2 links) and run
# both versions with the same seed. The Patriot batteries cannot reach an exo-atmospheric
# threat, so the missile is a leaker and the summary says where it lands.

# %%
from importlib import resources

import yaml

import bmdsim
from bmdsim.scenario import Scenario

text = resources.files("bmdsim.scenario").joinpath("data/dortyol-2026-03-04.yaml").read_text()
data = yaml.safe_load(text)
data["fire_units"] = [u for u in data["fire_units"] if u["id"] != "ddg-sm3"]
data["c2"]["links"] = [k for k in data["c2"]["links"] if "ddg-sm3" not in (k["source"], k["target"])]
without_ship = Scenario.from_mapping(data)

# %%
for name, scenario in [("with the destroyer", bmdsim.load_scenario("dortyol-2026-03-04")),
                       ("without it", without_ship)]:
    threat = bmdsim.run(scenario, seed=0).summary["threats"][0]
    if threat["intercepted"]:
        i = threat["intercept"]
        print(f"{name}: intercepted at {i['alt_m'] / 1e3:.0f} km by {i['fire_unit']}")
    else:
        imp = threat["impact"]
        print(f"{name}: impact in {imp['country']} near {', '.join(imp['places'][:3])}")
