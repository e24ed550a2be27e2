"""The brain's ports, filled from the wired application: engines, the LLM config, the graph.

The brain (``agents/``) knows nothing of :class:`~bot.app.App` or
:class:`~bot.settings.Settings`; this module is where the runtime hands it what it
needs.
"""

from __future__ import annotations

from pathlib import Path

from agents.answer import Ports
from agents.graph import TallyGraph
from agents.llm import make_chat_model
from agents.ports import LLMConfig
from bot.app import App
from bot.settings import Settings
from storage.catalog import Engine
from storage.synonyms import SynonymStore


class AppEngines:
    """The :class:`~agents.ports.Engines` port over the application's workspaces."""

    def __init__(self, app: App) -> None:
        self.app = app

    def engine(self, workspace: str) -> Engine:
        """The workspace's catalog engine (WorkspaceError for an unknown one)."""
        return self.app.engine(workspace)

    def vocabulary_path(self, workspace: str) -> Path | None:
        """Beside the workspace's warehouse file."""
        return self.app.workspaces.path(workspace).with_suffix(".vocabulary.json")


def llm_config(settings: Settings) -> LLMConfig:
    """The LLM part of the settings."""
    return LLMConfig(api_key=settings.openai_api_key, base_url=settings.openai_base_url,
                     model=settings.llm_model, timeout_seconds=settings.llm_timeout_seconds,
                     adhoc_sql=settings.adhoc_sql, adhoc_sql_row_limit=settings.adhoc_sql_row_limit,
                     adhoc_sql_timeout_seconds=settings.adhoc_sql_timeout_seconds)


def brain_ports(app: App) -> Ports:
    """The ports of the brain for this application."""
    return Ports(AppEngines(app), llm_config=llm_config(app.settings),
                 synonyms=SynonymStore(app.state))


def make_graph(app: App, memory_path: Path | None = None) -> TallyGraph:
    """The agent graph, with the LLM when one is configured; its memory beside the app state."""
    ports = brain_ports(app)
    return TallyGraph(ports, make_chat_model(ports.llm_config),
                      memory_path or app.settings.data_dir / "memory.sqlite")
