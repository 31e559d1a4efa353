"""Model-wide knobs that programmes turn and processes read (per-person hooks live in People).

Reset to the scenario's values at the start of every week in which programmes run, so each
programme changes them for that week only and programmes combine. Two counters run the other
way (``diverted_this_week``, ``diversion_referrals_this_week``): care writes them, and a
programme's ``after_week`` reads them, since a programme cannot tell a diverted arrest from
the state arrays afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hrsim.scenario import Scenario


@dataclass
class Hooks:
    """Model-wide knobs that programmes turn (per-person hooks are arrays in People)."""

    moud_capacity_places: int
    moud_initiation_multiplier: float
    moud_discontinuation_hazard_ratio: float
    overdose_referral_to_moud_probability: float
    post_release_moud_fraction: float
    naloxone_reversal_probability: float
    neighbour_present_probability: float
    supervised_reversal_probability: float = 1.0
    arrest_diversion_fraction: float = 0.0
    art_start_multiplier: float = 1.0
    hcv_treatment_multiplier: float = 1.0
    methadone_share_of_starts: float = 0.5
    # Share of arrests of people on MOUD whose custody continues MOUD (the rest withdraw it).
    custody_moud_continuation_fraction: float = 0.0
    # Probability that a diverted arrest (case management) brings a MOUD referral.
    diversion_moud_referral_probability: float = 0.0
    # Overdose response (issue 13): probability an ED visit after an overdose starts
    # buprenorphine (the ed_buprenorphine programme raises it).
    ed_buprenorphine_probability: float = 0.0
    # Written by care for the programmes' after-week counts (diversions, their referrals).
    diverted_this_week: int = 0
    diversion_referrals_this_week: int = 0

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Hooks:
        """The hooks' baseline values."""
        c, o = scenario.care, scenario.overdose
        return cls(
            moud_capacity_places=int(round(c.moud_capacity_fraction * scenario.run.people)),
            moud_initiation_multiplier=1.0,
            moud_discontinuation_hazard_ratio=c.moud_discontinuation_hazard_ratio,
            overdose_referral_to_moud_probability=c.overdose_referral_to_moud_probability,
            post_release_moud_fraction=c.post_release_moud_fraction,
            naloxone_reversal_probability=o.naloxone_reversal_probability,
            neighbour_present_probability=o.neighbour_present_probability,
            methadone_share_of_starts=c.methadone_share_of_starts,
            custody_moud_continuation_fraction=c.custody_moud_continuation_fraction,
            ed_buprenorphine_probability=scenario.response.ed_buprenorphine_probability,
        )
