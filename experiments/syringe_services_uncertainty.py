"""Syringe services under uncertainty: which inputs decide the infections averted?

Runs ``syringe_services_uncertainty.toml`` (a Latin-hypercube sample over the programme's
coverage and effect and over transmission inputs), prints each parameter's standardised
regression coefficient on HIV + HCV infections averted, and writes the report (tornado).

    python experiments/syringe_services_uncertainty.py --people 2000 --years 2 --replicates 2
"""

from __future__ import annotations

import numpy as np
from sweep_cli import run_sweep

from hrsim.reporting.report import write_report


def main() -> None:
    exp, out = run_sweep(__file__, __doc__ or "")
    wide = exp.outcomes_wide()
    wide["infections"] = wide["new_hiv"] + wide["new_hcv"]
    base = wide[wide["arm"] == exp.baseline].set_index("replicate")["infections"]
    wide["averted"] = base.loc[wide["replicate"]].to_numpy() - wide["infections"]
    sampled = wide[wide["arm"] != exp.baseline].groupby("arm")
    means = sampled[[*exp.parameters, "averted"]].mean()
    x = means[exp.parameters].to_numpy(dtype=float)
    y = means["averted"].to_numpy(dtype=float)
    # Standardised regression coefficients: the change in infections averted, in standard
    # deviations, for one standard deviation of each input.
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    coef, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(y)), z]), y, rcond=None)
    src = coef[1:] / y.std() if y.std() > 0 else coef[1:] * 0
    print(f"\ninfections averted: mean {y.mean():.1f} over {len(y)} sampled parameter sets")
    for name, value in sorted(zip(exp.parameters, src, strict=True), key=lambda p: -abs(p[1])):
        print(f"  {name:<52}{value:+.2f}")

    report = write_report(exp, out / "report" / "report.html")
    print(f"report: {report}")


if __name__ == "__main__":  # where fork is missing, pool workers re-import this file
    main()
