"""`.env.example` lists every setting (the platform-SDK import check is in test_boundaries.py)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).parents[1]


def test_env_example_mirrors_the_settings():
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    names = {field.alias for field in Settings.model_fields.values()}
    assert names - listed == set()
    assert listed - names == set()
