"""The ``bmdsim`` command line (typer + rich).

Exit codes: 0 success, 2 a scenario with problems (one line per problem on stderr) or
a usage error.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bmdsim import __version__
from bmdsim.scenario import (
    Scenario,
    ScenarioError,
    bundled_scenarios,
    load_scenario,
    scenario_json_schema,
)

#: Exit status for a scenario that has problems (the same as a usage error).
EXIT_INVALID = 2

app = typer.Typer(
    name="bmdsim",
    help="bmdsim: an open simulator of the ballistic-missile-defence kill chain.",
    no_args_is_help=True,
    add_completion=False,
)


def _out() -> Console:
    return Console(soft_wrap=True, highlight=False)


def _err() -> Console:
    return Console(stderr=True, soft_wrap=True, highlight=False)


def _show_version(value: bool) -> None:
    if value:
        _out().print(f"bmdsim {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True,
                     help="Print the version and exit."),
    ] = False,
) -> None:
    """bmdsim: an open simulator of the ballistic-missile-defence kill chain."""


@app.command()
def scenarios() -> None:
    """List the bundled scenarios."""
    table = Table(title="Bundled scenarios", show_lines=False)
    table.add_column("name", no_wrap=True)
    table.add_column("description")
    for name, description in bundled_scenarios():
        table.add_row(name, " ".join(description.split()))
    Console().print(table)


@app.command()
def validate(
    file: Annotated[str, typer.Argument(help="Scenario YAML file, or a bundled scenario name.")],
) -> None:
    """Check a scenario file: print a summary (exit 0) or every problem (exit 2)."""
    try:
        scenario = load_scenario(file)
    except ScenarioError as exc:
        err = _err()
        err.print(f"{file}: {len(exc.problems)} problem(s)", markup=False)
        for problem in exc.problems:
            err.print(str(problem), markup=False)
        raise typer.Exit(EXIT_INVALID) from None
    out = _out()
    for line in summary_lines(scenario):
        out.print(line, markup=False)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario file format."""
    typer.echo(json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False))


def _counted(values: list[str]) -> str:
    return ", ".join(f"{n} {v}" for v, n in Counter(values).items()) or "none"


def _latlon(lat_deg: float, lon_deg: float) -> str:
    return (f"{abs(lat_deg):.2f} {'N' if lat_deg >= 0 else 'S'} "
            f"{abs(lon_deg):.2f} {'E' if lon_deg >= 0 else 'W'}")


def summary_lines(s: Scenario) -> list[str]:
    """A short plain-text account of what a valid scenario contains."""
    lines = [f"{s.name}: valid"]
    epoch = s.epoch.strftime("%Y-%m-%dT%H:%M:%SZ")
    lines.append(f"  epoch {epoch}, duration {s.duration_s:g} s, seed {s.seed}")
    if s.alliance is not None:
        members = sorted(s.alliance_members())
        lines.append(f"  alliance {s.alliance.name}: {len(members)} members on {s.alliance_date}")
    steps = [s.posture.initial.value] + [
        f"{c.level.value} at {c.time_s:g} s" for c in s.posture.changes
    ]
    lines.append("  posture " + " -> ".join(steps))
    lines.append(f"  threats ({len(s.threats)}):")
    for t in s.threats:
        m = t.missile_type
        error = "" if t.guidance_error.is_nominal else ", with guidance error"
        lines.append(
            f"    {t.id}: {m.id} ({t.profile.value}{error}) from {_latlon(t.launch.lat_deg, t.launch.lon_deg)}"
            f" at {t.launch.time_s:g} s, aimed at {_latlon(t.aim.lat_deg, t.aim.lon_deg)}"
        )
    lines.append(f"  sensors ({len(s.sensors)}): {_counted([x.type for x in s.sensors])}")
    lines.append(f"  platforms ({len(s.platforms)}): "
                 + (", ".join(p.id for p in s.platforms) or "none"))
    rounds = Counter()
    for u in s.fire_units:
        rounds[u.interceptor_type.id] += u.inventory
    lines.append(f"  fire units ({len(s.fire_units)}): "
                 + (", ".join(f"{n} {k}" for k, n in rounds.items()) or "no")
                 + " interceptors")
    lines.append(f"  defended assets ({len(s.defended_assets)}): "
                 + (", ".join(a.id for a in s.defended_assets) or "none"))
    lines.append(f"  C2: {len(s.c2.nodes)} node(s), {len(s.c2.links)} link(s)")
    return lines


DEFAULT_SCENARIO = "dortyol-2026-03-04"


@app.command()
def run(
    scenario: Annotated[
        str, typer.Argument(help="Bundled scenario name or scenario YAML file.")
    ] = DEFAULT_SCENARIO,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (default: the scenario's).")] = None,
    out: Annotated[str, typer.Option("--out", help="Output directory.")] = "out",
) -> None:
    """Run a scenario end to end: print the kill-chain timeline and write summary.json,
    events.parquet, report.html and scenario.czml to --out."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from bmdsim.io import write_outputs
    from bmdsim.io.report import headline
    from bmdsim.sim import Simulation
    from bmdsim.sim.plots import milestones

    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        err = _err()
        err.print(f"{scenario}: {len(exc.problems)} problem(s)", markup=False)
        for problem in exc.problems:
            err.print(str(problem), markup=False)
        raise typer.Exit(EXIT_INVALID) from None
    if seed is not None and seed < 0:
        _err().print(f"--seed: got {seed}; allowed: an integer >= 0", markup=False)
        raise typer.Exit(EXIT_INVALID)
    console = _out()
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(),
        TextColumn("{task.completed:>5.0f} / {task.total:.0f} s simulated"), TimeElapsedColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(f"running {loaded.name}", total=loaded.duration_s)
        sim = Simulation(loaded, seed,
                         progress=lambda t, end: bar.update(task, completed=t))
        result = sim.run()
        bar.update(task, description="writing outputs")
        paths = write_outputs(result, out)
    t_launch = min((t["launch"]["time_s"] for t in result.summary["threats"]), default=0.0)
    table = Table(title=f"Kill chain — {loaded.name}, seed {result.seed}")
    table.add_column("T+ (s)", justify="right")
    table.add_column("step")
    table.add_column("by")
    table.add_column("about")
    for m in milestones(result):
        table.add_row(f"{m.time_s - t_launch:7.1f}", m.label, m.source, m.subject)
    console.print(table)
    _, title, lede = headline(result)
    console.print(f"[bold]{title}[/bold]")
    if lede:
        console.print(lede, markup=False)
    for key in ("summary", "events", "report", "czml"):
        console.print(f"  {key:8s} {paths[key]}", markup=False)
