"""What runs mean: estimators, measures from the event log, validation, calibration, sensitivity.

What lives here: ``stats.py`` (Kaplan-Meier, binomial, Poisson and t intervals, paired
comparisons), ``events.py`` (spells and follow-up from the event log), ``measures.py``
(statistics of a run: people who inject, person-time, incidence, prevalence), ``compare.py``
(arms against a baseline on common random numbers), ``validation.py`` (published targets),
``calibration.py`` (Optuna), ``sensitivity.py`` (SALib), ``psa.py`` (probabilistic
sensitivity analysis), ``abc_smc.py`` (ABC-SMC with pyabc on a sampler that depends on the
seed only), ``posterior.py`` (a finished fit's posterior, read and drawn from without
pyabc), ``fit.py`` (``hrsim fit``: a place's simulator, posterior predictive checks,
identifiability), ``fit_store.py`` (the fit folder: new, continued or refused).

May import: ``hrsim.batch``, ``hrsim.places`` and everything below; pages live in
``hrsim.reporting``.
"""
