"""`tally serve` as a real process for tests: start it, find its port and printed link, stop it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[2]
_PLATFORM_PREFIXES = ("SLACK", "DISCORD", "TELEGRAM", "WHATSAPP", "OPENAI")


@dataclass
class Served:
    """A running ``tally serve``: its port, its stderr so far, the first owner's link."""

    process: subprocess.Popen
    log: Path
    port: int

    @property
    def output(self) -> str:
        return self.log.read_text()

    def sign_in_link(self, timeout: float = 30) -> str:
        """The one-time link printed at start (it follows the 'serving on' line)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"(http://localhost:\d+/sign-in/link\?token=\S+)", self.output)
            if found:
                return found.group(1)
            time.sleep(0.1)
        raise AssertionError(f"tally serve printed no sign-in link:\n{self.output}")


@contextmanager
def tally_serve(data_dir: Path, tmp_path: Path, **settings: str) -> Iterator[Served]:
    """Runs ``tally serve`` on ``data_dir`` with no settings but a free port and INFO logs.

    No ``TALLY_*`` or platform variable of the developer's environment leaks in, so the
    process runs on the defaults (bind address included).
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TALLY_") and k.split("_")[0] not in _PLATFORM_PREFIXES}
    env.update({"TALLY_DATA_DIR": str(data_dir), "TALLY_HTTP_PORT": "0", "TALLY_LOG_LEVEL": "INFO",
                **settings})
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", "import bot.cli; bot.cli.main()", "serve"],
            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        yield Served(process, log, _wait_for_port(log, process))
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for_port(log: Path, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        match = re.search(r"serving on [\d.]+:(\d+)", log.read_text())
        if match:
            return int(match.group(1))
        if process.poll() is not None:
            raise AssertionError(f"tally serve exited early:\n{log.read_text()}")
        time.sleep(0.1)
    raise AssertionError(f"tally serve did not start:\n{log.read_text()}")
