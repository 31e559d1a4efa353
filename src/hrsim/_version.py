"""The package version, in a module of its own: runs and sweeps need not import the package."""

__version__ = "0.1.0"
