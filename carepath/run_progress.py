"""What `carepath run` shows while it works: a line as each step starts, and on a terminal a
progress bar for the files being loaded and the dbt nodes being built (dbt's own output goes
to `<data>/dbt/logs/dbt-output.log`). In a pipe or a log file only the step lines are written:
no bars, no colour."""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm

STEPS = {"load": "loading new files", "build": "building the marts (dbt)",
         "publish": "publishing the marts"}


class RunProgress:
    def __init__(self, out: TextIO = sys.stdout) -> None:
        self._out = out
        self._bar: tqdm | None = None

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def step(self, name: str) -> None:
        self._close_bar()
        print(f"carepath run: {STEPS[name]}", file=self._out, flush=True)

    def files_found(self, count: int) -> None:
        # disable=None: a bar only where the output is a terminal.
        self._bar = tqdm(total=count, desc="files", unit="file", disable=None, leave=False)

    def files_loaded(self, count: int) -> None:
        if self._bar is not None:
            self._bar.update(count)

    def node_done(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = tqdm(total=total, desc="dbt nodes", unit="node", disable=None,
                             leave=False)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        self._close_bar()
