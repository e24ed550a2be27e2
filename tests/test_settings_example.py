"""`.env.example` lists every setting, and nothing outside bot/channels imports a platform SDK."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).parents[1]
SDKS = ("slack_bolt", "slack_sdk", "discord", "telegram")


def test_env_example_mirrors_the_settings():
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    names = {field.alias for field in Settings.model_fields.values()}
    assert names - listed == set()
    assert listed - names == set()


PACKAGES = ("bot", "agents", "connectors", "storage", "prompts")


def test_only_channels_import_platform_sdks():
    offenders = []
    # The project's packages only (a mutation run's mutants/ copy or a venv is not ours).
    for path in (p for package in PACKAGES for p in (ROOT / package).rglob("*.py")):
        if "channels" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for sdk in SDKS:
            if re.search(rf"^\s*(from|import)\s+{sdk}\b", text, re.M):
                offenders.append(f"{path.relative_to(ROOT)} imports {sdk}")
    assert offenders == []
