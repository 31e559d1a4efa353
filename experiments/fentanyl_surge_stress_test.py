"""Fentanyl surge stress test: extra deaths from the surge, and how much naloxone takes back.

Runs ``fentanyl_surge_stress_test.toml``: the baseline and a surging fentanyl supply, each
with and without a naloxone programme, on the same replicate seeds. Prints the surge's excess
deaths and the deaths naloxone averts with and without the surge (paired 95% intervals), and
writes the HTML report with the surge without naloxone as the baseline arm.

    python experiments/fentanyl_surge_stress_test.py --people 2000 --years 2 --replicates 3
"""

from __future__ import annotations

from sweep_cli import run_sweep

from hrsim.analysis.compare import paired
from hrsim.reporting.report import write_report

NALOXONE = "interventions.naloxone_distribution.coverage_fraction"


def main() -> None:
    exp, out = run_sweep(__file__, __doc__ or "")
    wide = exp.outcomes_wide().sort_values("replicate")

    def deaths(scenario: str, coverage: float):
        rows = wide[(wide["scenario"] == scenario) & (wide[NALOXONE] == coverage)]
        return rows["deaths_all_causes"].to_numpy(dtype=float)

    def show(label: str, before, after) -> None:
        o = paired(before, after)
        lo, hi = sorted((0.0 - o.difference_ci95[0], 0.0 - o.difference_ci95[1]))
        averted = 0.0 - o.difference_mean  # 0.0 - x: no "-0.0"
        print(f"  {label:<44}{averted:>9.1f}  (95% CI {lo:.1f} to {hi:.1f})")

    print("\ndeaths (all causes), paired over replicates:")
    excess = paired(deaths("baseline", 0.0), deaths("fentanyl_surge", 0.0))
    lo, hi = excess.difference_ci95
    print(f"  {'excess deaths from the surge':<44}{excess.difference_mean:>9.1f}"
          f"  (95% CI {lo:.1f} to {hi:.1f})")  # fmt: skip
    show("averted by naloxone, today's supply", deaths("baseline", 0.0), deaths("baseline", 0.5))
    show("averted by naloxone, during the surge", deaths("fentanyl_surge", 0.0),
         deaths("fentanyl_surge", 0.5))  # fmt: skip

    surge_arm = exp.arms.query(f"scenario == 'fentanyl_surge' and `{NALOXONE}` == 0.0")
    report = write_report(exp, out / "report" / "report.html", surge_arm["arm"].iloc[0])
    print(f"report: {report}")


if __name__ == "__main__":  # where fork is missing, pool workers re-import this file
    main()
