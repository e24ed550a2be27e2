"""Imports point down only, platform SDKs stay in bot/channels/, and nothing imports in a circle.

The house (style.md): bot → agents → storage, bot → connectors → storage; prompts/ is
text the brain loads. Every module of those packages is parsed with ``ast`` (imports at
the top and inside functions alike), so a lazy import cannot hide a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "agents", "connectors", "storage", "prompts")
# What each package may not import: the layers above it.
FORBIDDEN = {"agents": {"bot"}, "connectors": {"bot", "agents"},
             "storage": {"bot", "agents", "connectors"}, "prompts": {"bot", "agents", "connectors"}}
SDKS = ("slack_bolt", "slack_sdk", "discord", "telegram")
CHANNELS = "bot.channels"
def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES if (ROOT / package).is_dir()
            for p in sorted((ROOT / package).rglob("*.py"))}


def imports_of(module: str, path: Path) -> Iterator[str]:
    """Every module name an import statement of the file names (relative ones resolved)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


MODULES = project_modules()
IMPORTS = {module: sorted(set(imports_of(module, path))) for module, path in MODULES.items()}


def package_of(module: str) -> str:
    return module.split(".")[0]


def test_every_import_points_down():
    upward = [f"{module} imports {name}" for module, names in IMPORTS.items()
              for name in names if package_of(name) in FORBIDDEN.get(package_of(module), ())]
    assert upward == []


def test_only_channels_import_platform_sdks():
    offenders = [f"{module} imports {name}" for module, names in IMPORTS.items()
                 for name in names if package_of(name) in SDKS
                 and not (module == CHANNELS or module.startswith(CHANNELS + "."))]
    assert offenders == []


def module_graph() -> nx.DiGraph:
    """Project modules → the project modules they import (``from a import b`` names a.b when
    b is a module, else a)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(MODULES)
    for module, names in IMPORTS.items():
        for name in names:
            if name in MODULES and name != module:
                graph.add_edge(module, name)
    return graph


def module_cycles() -> list[list[str]]:
    return sorted(sorted(c) for c in nx.strongly_connected_components(module_graph()) if len(c) > 1)


def test_no_import_cycle_between_modules():
    assert module_cycles() == []


def test_no_import_cycle_between_packages():
    graph = nx.DiGraph()
    for module, target in module_graph().edges:
        if package_of(module) != package_of(target):
            graph.add_edge(package_of(module), package_of(target))
    assert [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1] == []


@pytest.mark.parametrize(("source", "expected"), [
    ("from bot.app import App\n", ["bot.app", "bot.app.App"]),
    ("def f():\n    import slack_sdk.web\n", ["slack_sdk.web"]),
    ("from . import base\n", ["agents.insights", "agents.insights.base"]),
    ("from ..reply import Reply\n", ["agents.reply", "agents.reply.Reply"]),
])
def test_the_check_sees_top_level_function_level_and_relative_imports(tmp_path, source, expected):
    folder = tmp_path / "agents" / "insights"
    folder.mkdir(parents=True)
    path = folder / "digest.py"
    path.write_text(source, encoding="utf-8")
    assert sorted(imports_of("agents.insights.digest", path)) == expected
