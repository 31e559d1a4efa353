"""The dashboard's words for students: scenario names, the glossary, the own-baseline note.

Kept free of Solara (like ``session.py``) so that tests check the words directly. Scenario
files carry no title field (``[run] name`` is a file-name-like stem), so the picker shows a
readable name: a written one for the built-in files, else the stem made readable.
``LESSONS`` are the guided lessons: each sets up a scenario, asks a question, and says what to
change and where to look.
"""

from __future__ import annotations

from dataclasses import dataclass

from hrsim.dashboard.parameters import Settings, scenario_files

# Written names for the built-in scenarios (the rest get their stem made readable).
SCENARIO_NAMES: dict[str, str] = {
    "baseline.toml": "Baseline: today's care, no new programmes",
    "contingency_management.toml": "Contingency management",
    "diversion.toml": "Diversion from arrest to treatment",
    "fentanyl_surge.toml": "Fentanyl surge (no programmes)",
    "fentanyl_test_strips.toml": "Fentanyl test strips",
    "massachusetts.toml": "Massachusetts from 2015 (calibrated, no new programmes)",
    "full_package.toml": "Full package of programmes",
    "hiv_hcv_testing_treatment.toml": "HIV and HCV testing and treatment",
    "moud_expansion.toml": "MOUD expansion",
    "naloxone_distribution.toml": "Naloxone distribution",
    "peer_navigation.toml": "Peer navigation after overdose",
    "peer_network.toml": "Peer network",
    "post_release_moud.toml": "MOUD at prison release",
    "pre_fentanyl.toml": "Before fentanyl (no programmes)",
    "prep.toml": "PrEP (HIV prevention pill)",
    "supervised_consumption.toml": "Supervised consumption site",
    "syringe_services.toml": "Syringe services",
    "xylazine.toml": "Xylazine in the supply (no programmes)",
}
_ACRONYMS = {"hiv": "HIV", "hcv": "HCV", "moud": "MOUD", "prep": "PrEP", "ed": "ED"}


def scenario_name(file: str) -> str:
    """A readable name for a scenario file, e.g. ``"Naloxone distribution"``."""
    if file in SCENARIO_NAMES:
        return SCENARIO_NAMES[file]
    words = [_ACRONYMS.get(w, w) for w in file.removesuffix(".toml").split("_") if w]
    if not words:
        return file
    first = words[0] if words[0] in _ACRONYMS.values() else words[0].capitalize()
    return " ".join([first, *words[1:]])


def scenario_choices() -> dict[str, str]:
    """Readable name -> file, for every listed scenario (baseline first)."""
    choices: dict[str, str] = {}
    for file in scenario_files():
        name = scenario_name(file)
        if name in choices:  # two files with one name: tell them apart by the file
            name = f"{name} ({file})"
        choices[name] = file
    return choices


def own_baseline_note(settings: Settings) -> str | None:
    """Why nothing is averted when the scenario has no programme switched on (else None)."""
    if settings.programmes:
        return None
    return (
        "No programme is switched on, so this scenario is its own baseline: the baseline is "
        "the same scenario with every programme off, both runs are identical, and every "
        "averted count stays 0. A change of supply (such as fentanyl) or of MOUD places "
        "changes both runs alike. Switch a programme on under Programmes to see what it averts."
    )


# Term -> plain explanation. Words a student meets on the page, in the order they meet them.
GLOSSARY: dict[str, str] = {
    "PWID": "People who inject drugs. The model's community is people who use opioids; some "
    "of them inject (the network's 'injects' in a person's details).",
    "Opioid": "Drugs such as heroin, fentanyl, oxycodone and methadone. In high doses they "
    "slow breathing, which is how an overdose kills.",
    "Fentanyl": "A synthetic opioid far stronger than heroin. The more of the street supply "
    "is fentanyl, the more doses are unexpectedly strong, and the more overdoses.",
    "Overdose": "Taking more of a drug than the body can handle; with opioids, breathing "
    "slows or stops. Many are survived; some are reversed with naloxone; some are fatal.",
    "Naloxone": "A medicine (a nasal spray or injection) that reverses an opioid overdose "
    "within minutes if someone nearby gives it. Take-home kits put it in people's pockets.",
    "MOUD": "Medications for opioid use disorder: methadone and buprenorphine. They cut the "
    "craving and the risk of dying of an overdose while someone stays on them.",
    "Methadone": "A long-acting opioid taken daily, usually at a clinic, as treatment (MOUD).",
    "Buprenorphine": "A partial opioid taken as treatment (MOUD), often from a doctor's "
    "prescription; safer in overdose than methadone.",
    "MOUD places": "How many people the treatment system can hold at once, as a share of the "
    "community. When places are full, people wait.",
    "Detox": "A short stay to withdraw from opioids. Without MOUD afterwards, overdose risk "
    "is high: tolerance is gone.",
    "Recovery": "No longer using opioids and not on treatment. Some people return to use.",
    "Syringe services": "Programmes that hand out clean needles and syringes (less sharing, "
    "so less HIV and HCV), and offer testing and referrals to treatment.",
    "Supervised consumption site": "A place where people use their own drugs with staff on "
    "hand who reverse overdoses.",
    "HIV": "Human immunodeficiency virus, spread by shared syringes and by sex. Treatment "
    "(ART) keeps people well and stops them passing it on.",
    "HCV": "Hepatitis C virus, spread mostly by shared injecting equipment. Direct-acting "
    "antivirals (DAA) cure it in a few months.",
    "PrEP": "Pre-exposure prophylaxis: a daily pill that stops HIV infection.",
    "Incidence": "New infections in a period. Here: per 100 person-years at risk.",
    "Person-years": "One person followed for one year counts one person-year; 100 people for "
    "three months count 25. Rates per person-year compare groups of different sizes.",
    "Baseline": "The same scenario with every programme switched off, run alongside on the "
    "same random numbers, so the gap between the two is the programmes' doing.",
    "Averted": "Baseline minus scenario: how many deaths or infections did not happen "
    "because of the programmes. Negative: more than in the baseline.",
    "Seed": "The number that fixes the run's chance events. The same seed gives the same run; "
    "another seed shows how much one run's numbers owe to chance.",
    "Common random numbers": "Both runs meet the same chance events, so a difference between "
    "them is mostly the programmes', not luck.",
    "QALY": "Quality-adjusted life year: a year in full health counts 1, a year in worse "
    "health less. Health programmes are compared by QALYs gained.",
    "Cost per QALY gained": "Extra cost divided by extra QALYs (the ICER): the price of a "
    "year of healthy life bought by the programmes.",
    "Discounting": "Counting future costs and health for a little less than present ones "
    "(here 3% a year), as health economists do.",
    "Kaplan-Meier": "A way to draw how many people stay on treatment over time when some "
    "are still on it, so their final length is not yet known.",
}


@dataclass(frozen=True)
class Lesson:
    """A short guided lesson: a scenario set up, a question, what to change and watch."""

    key: str
    title: str
    scenario: str  # a built-in scenario file
    question: str
    steps: tuple[str, ...]  # what to do, in order
    watch: str  # where on the page the answer shows
    fentanyl: float | None = None  # the supply's fentanyl share to start from (None: the file's)
    programme: tuple[str, float] | None = None  # a programme's starting level

    def settings(self) -> Settings:
        """The sidebar's settings at the start of the lesson."""
        s = Settings.from_file(self.scenario)
        if self.fentanyl is not None:
            s = s.changes(fentanyl_share_by_year=(self.fentanyl,))
        if self.programme is not None:
            s = s.with_programme(*self.programme)
        return s


LESSONS: dict[str, Lesson] = {
    lesson.key: lesson
    for lesson in (
        Lesson(
            "fentanyl",
            "Fentanyl and overdoses",
            "baseline.toml",
            "What happens to overdose deaths when more of the supply is fentanyl?",
            (
                "Press Play (Fast) and pause near year 2.",
                "Open Settings and set 'Fentanyl in the supply' to 90% (type 90 in its box). "
                "The run goes on from this week; a faint line goes on without the change.",
                "Play to year 4 and compare the black 'Died' bars with the faint line.",
            ),
            "The Overdoses chart's black 'Died' bars against the faint line of the same run "
            "without the change. No programme is on, so nothing is 'averted': fentanyl "
            "changes both runs alike.",
            fentanyl=0.5,
        ),
        Lesson(
            "naloxone",
            "Naloxone coverage",
            "naloxone_distribution.toml",
            "How many overdose deaths does naloxone avert when more people carry a kit?",
            (
                "Press Play (Fast) and pause near year 2. Note the 'Overdose deaths averted'.",
                "Open Settings and set the naloxone programme's Coverage to 80% (type 80 in "
                "its box). The run goes on from this week.",
                "Play to year 4. In 'Overdose deaths' below the cards, the faint line is the "
                "same run at 10%. Then press 'Is it chance?': is the gap more than luck?",
            ),
            "The 'Overdose deaths averted' card, and the orange 'Reversed' bars in Overdoses.",
            programme=("naloxone_distribution", 0.1),
        ),
        Lesson(
            "moud",
            "MOUD capacity",
            "moud_expansion.toml",
            "Do more treatment places (methadone, buprenorphine) mean fewer deaths?",
            (
                "Press Play (Fast) and pause near year 3. Note the 'Deaths, all causes averted'.",
                "Open Settings and set the MOUD expansion's 'Treatment places, times "
                "today's' to 3 (type 3 in its box). The run goes on from this week.",
                "Play to year 6 and compare the deaths with the faint line (the run without "
                "the change).",
            ),
            "The green and yellow bands (methadone, buprenorphine) in 'People in each care "
            "state', and the deaths averted.",
            programme=("moud_expansion", 1.5),
        ),
        Lesson(
            "syringes",
            "Syringe services",
            "syringe_services.toml",
            "How do clean syringes change new HIV and HCV infections?",
            (
                "Press Play (Fast) and pause near year 3. Note the 'New HCV infections averted'.",
                "Open Settings and set the syringe services' Coverage to 80% (type 80 in its "
                "box). The run goes on from this week.",
                "Play to year 6 and compare with the faint line (the run at 20%). Infections "
                "are rarer than overdoses: press 'Is it chance?' before you trust a small "
                "difference.",
            ),
            "The 'HIV and HCV incidence' chart (solid: the scenario, dashed: the baseline) and "
            "the infections averted.",
            programme=("syringe_services", 0.2),
        ),
    )
}
