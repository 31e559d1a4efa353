"""The weekly dynamics, one process per file, run in the order of ``DEFAULT_PROCESSES``.

1. ties        ties end and form (network.py does the work)
2. demography  new initiates (incidence, into free rows); ageing; other-cause deaths (life
               table x SMR); ageing out; sustained recovery
3. care        detox, MOUD (capacity), relapse, arrest and release
4. injecting   route of use; who injects this week (MOUD lapses); sharing episodes;
               receptive and equipment shared injections (syringe coverage)
5. stimulants  stimulant co-use spells start and end (issue 13)
6. overdose    lapses in recovery; overdose hazard by potency relative to tolerance; the
               response (overdose_response.py): company, kits, EMS, fatality, ED
7. tolerance   lost while not using, regained with use
8. cascade     HIV care (testing, linkage, ART, suppression, dropout, re-engagement); HCV's
               course (clearance, antibody and RNA testing, DAA treatment, cure). Before
               infections, so this week's transmission sees this week's care states
9. infections  HIV and HCV along ties, by exposure (syringe, equipment, sex)

What lives here: ``base.py`` (``Process``, ``move``, ``weekly_probability``) and one file per
process above.

May import: ``hrsim.core`` (state, streams, the week's context) and ``hrsim.economics`` (the
lifetime tail of people who leave alive, issue 15). A process reads and writes
only what ``hrsim.core.context.WeekContext`` offers, never the model itself.
"""

from hrsim.processes.base import Process, move
from hrsim.processes.care import Care as CareProcess
from hrsim.processes.cascade import Cascade
from hrsim.processes.demography import Demography
from hrsim.processes.infections import Infections
from hrsim.processes.injecting import Injecting
from hrsim.processes.overdose import Overdose
from hrsim.processes.stimulants import Stimulants
from hrsim.processes.ties import Ties
from hrsim.processes.tolerance import Tolerance

DEFAULT_PROCESSES: tuple[type[Process], ...] = (
    Ties,
    Demography,
    CareProcess,
    Injecting,
    Stimulants,
    Overdose,
    Tolerance,
    Cascade,
    Infections,
)

__all__ = [
    "DEFAULT_PROCESSES",
    "CareProcess",
    "Cascade",
    "Demography",
    "Infections",
    "Injecting",
    "Overdose",
    "Process",
    "Stimulants",
    "Ties",
    "Tolerance",
    "move",
]
