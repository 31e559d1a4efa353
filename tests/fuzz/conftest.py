"""The earlier outputs every fuzz sandbox starts with (built once per test process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .sandbox import build_templates


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A previous run's output and a finished sweep store, copied into every sandbox."""
    return build_templates(tmp_path_factory.mktemp("fuzz-templates"))
