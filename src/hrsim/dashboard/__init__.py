"""The hrsim dashboard (Solara): ``app.py`` is the page; the other modules compute what it shows."""
