"""MOUD capacity x naloxone coverage: deaths averted in every cell of the grid, and the report.

Runs ``moud_capacity_x_naloxone.toml`` (resumable: run it again after an interrupt), prints
deaths averted per cell against scarce MOUD places and no naloxone programme (paired means over
replicates), asks whether the two programmes add up, and writes the HTML report.

    python experiments/moud_capacity_x_naloxone.py                       # full size
    python experiments/moud_capacity_x_naloxone.py --people 2000 --years 2 --replicates 3
"""

from __future__ import annotations

from sweep_cli import run_sweep

from hrsim.reporting.report import write_report

MOUD = "care.moud_capacity_fraction"
NALOXONE = "interventions.naloxone_distribution.coverage_fraction"


def main() -> None:
    exp, out = run_sweep(__file__, __doc__ or "")
    wide = exp.outcomes_wide()
    base = wide[wide["arm"] == exp.baseline].set_index("replicate")["deaths_all_causes"]
    wide["deaths_averted"] = base.loc[wide["replicate"]].to_numpy() - wide["deaths_all_causes"]
    cells = wide.groupby([MOUD, NALOXONE])["deaths_averted"].mean().unstack(NALOXONE)
    print("\nDeaths averted (mean over paired replicates) vs scarce MOUD, no naloxone:")
    print(cells.rename_axis(index="MOUD places per person", columns="naloxone coverage").round(1))

    # Do they add up? The interaction is the both-programmes cell minus the two single ones.
    low_moud, high_moud = cells.index[0], cells.index[-1]
    none, most = cells.columns[0], cells.columns[-1]
    both = cells.loc[high_moud, most]
    apart = cells.loc[high_moud, none] + cells.loc[low_moud, most]
    print(f"\nboth at their highest: {both:.1f}; the sum of each alone: {apart:.1f}")

    report = write_report(exp, out / "report" / "report.html")
    print(f"report: {report}")


if __name__ == "__main__":  # where fork is missing, pool workers re-import this file
    main()
