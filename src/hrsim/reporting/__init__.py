"""Pages and figures people read: the sweep report, the validation page, PNGs and CSVs.

What lives here: ``figures.py`` (the palette, offline HTML pages, PNG figures), ``report.py``
(``hrsim report``), ``validation_page.py`` (``hrsim validate --html``), ``calibration_page.py`` and
``sensitivity_page.py`` (what ``hrsim calibrate`` and ``hrsim sensitivity`` write),
``provenance.py`` (what their folders were made from, so a rerun replaces only the same results),
``economics_figures.py`` (the cost-effectiveness plane, CEAC with its frontier, and EVPI of a
probabilistic sensitivity analysis), ``notebook_plots.py`` (``model.plot()``,
``RunResult.plot()``, ``Experiment.plot()`` and ``.plot_comparison()``, for notebooks),
``fit_page.py`` (what ``hrsim fit`` writes: posterior, checks, figures, the median scenario).

May import: ``hrsim.analysis``, ``hrsim.batch`` and below (``hrsim.economics`` too); matplotlib
(Agg), never Solara. ``notebook_plots.py`` leaves the backend to the user (it makes
``Figure`` objects without pyplot) and takes the care states' colours from
``hrsim.dashboard.palette``, which imports nothing.
"""
