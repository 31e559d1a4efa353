"""Tests of the browser dashboard (a package, so its conftest does not shadow tests/conftest.py)."""
