"""Health economics: prices, utilities, the lifetime horizon, decision analysis, PSA inputs.

What lives here: ``prices.py`` (currency, price year, inflation index), ``utilities.py``
(health-state utility weights, the weekly QALY and cost ledger), ``lifetime.py`` (remaining
discounted life expectancy and QALYs of the people alive at the end of a run),
``decision.py`` (incremental tables, dominance, ICERs, net monetary benefit),
``uncertainty.py`` (CEAC, frontier, EVPI, parameter vs Monte Carlo variance) and
``distributions.py`` (parameter distributions for probabilistic sensitivity analysis).

May import: ``hrsim.core`` and the ground floor only; the model, the batch runners and the
reports import from here.
"""
