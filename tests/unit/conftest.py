"""Fixtures of the template tests (tests/templates.py builds them)."""

from __future__ import annotations

from typing import Any

import pytest
from chalice import Chalice

from tests.templates import committed_template, render_events_template


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    return committed_template()


@pytest.fixture(scope="module")
def events_template() -> tuple[str, dict[str, Any], Chalice]:
    return render_events_template()
