"""Prompt texts, one file per agent, loaded by name."""

from __future__ import annotations

import functools
from pathlib import Path

HERE = Path(__file__).parent


@functools.cache
def load(name: str) -> str:
    """The prompt ``prompts/<name>.md`` (raises FileNotFoundError naming the file)."""
    return (HERE / f"{name}.md").read_text(encoding="utf-8")
