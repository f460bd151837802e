"""Shared fixtures: the bundled sample mirror and throw-away homes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

ROOT = Path(__file__).resolve().parent.parent
MIRROR = ROOT / "samples" / "mirror"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def mirror() -> Path:
    return MIRROR


@pytest.fixture
def home(tmp_path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def sample(collection: str) -> Path:
    """The one real delivery file bundled for a collection."""
    files = sorted((MIRROR / collection).iterdir())
    assert len(files) == 1, files
    return files[0]
