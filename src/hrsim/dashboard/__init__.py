"""The dashboard (Solara) for students and briefings, inside the package so a wheel serves it.

What lives here: ``app.py`` (the page: the only module that imports Solara), ``session.py``
(what the page shows, computed without Solara), ``paired_run.py`` (a scenario and its
no-programme baseline stepped together), ``parameters.py`` (sliders and scenario files),
``charts.py``, ``network_view.py``, ``vega.py``, ``palette.py`` (the figures), and
``offline_assets.py`` (the front-end files Solara would fetch from a CDN).

May import: everything below the pages (``hrsim.analysis``, ``hrsim.batch``, the model).
``import hrsim`` never imports this package's Solara page.
"""
