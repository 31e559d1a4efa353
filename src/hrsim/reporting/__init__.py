"""Pages and figures people read: the sweep report, the validation page, PNGs and CSVs.

What lives here: ``figures.py`` (the palette, offline HTML pages, PNG figures), ``report.py``
(``hrsim report``), ``validation_page.py`` (``hrsim validate --html``), ``calibration_page.py`` and
``sensitivity_page.py`` (what ``hrsim calibrate`` and ``hrsim sensitivity`` write).

May import: ``hrsim.analysis``, ``hrsim.batch`` and below; matplotlib (Agg), never Solara.
"""
