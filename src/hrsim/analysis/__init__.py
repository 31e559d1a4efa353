"""What runs mean: estimators, measures from the event log, validation, calibration, sensitivity.

What lives here: ``stats.py`` (Kaplan-Meier, binomial, Poisson and t intervals, paired
comparisons), ``events.py`` (spells and follow-up from the event log), ``measures.py``
(statistics of a run: people who inject, person-time, incidence, prevalence), ``compare.py``
(arms against a baseline on common random numbers), ``validation.py`` (published targets),
``calibration.py`` (Optuna), ``sensitivity.py`` (SALib).

May import: ``hrsim.batch`` and everything below it; pages live in ``hrsim.reporting``.
"""
