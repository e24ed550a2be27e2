"""Everything Tally writes is the owner's alone, whatever the shell's umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES

ROOT = Path(__file__).parents[2]


def _tally_under_umask_022(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TALLY_DATA_DIR": str(data)}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300, cwd=ROOT, preexec_fn=lambda: os.umask(0o022))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_and_folders_tally_creates_are_owner_only_under_umask_022(tmp_path):
    data = tmp_path / "data"

    created = _tally_under_umask_022("workspace", "create", "shop", data=data)
    imported = _tally_under_umask_022("import", str(FIXTURES / "shop"), "--workspace", "shop",
                                      data=data)

    assert created.returncode == 0 and imported.returncode == 0, created.stderr + imported.stderr
    written = [data, *data.rglob("*")]
    assert data / "state.db" in written and list(data.rglob("*.duckdb"))
    open_to_others = {str(p.relative_to(tmp_path)): oct(_mode(p)) for p in written if _mode(p) & 0o077}
    assert open_to_others == {}


def test_an_existing_data_folder_open_to_others_is_made_private_with_one_warning(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)

    listed = _tally_under_umask_022("workspace", "list", data=data)

    assert listed.returncode == 0, listed.stderr
    assert _mode(data) == 0o700
    warnings = [line for line in listed.stderr.splitlines() if "open to other users" in line]
    assert len(warnings) == 1 and "755" in warnings[0]
