"""A person's journey in the browser, counted: each click, tick, choice or chosen file is one click, and each
field typed into is one click (to reach it) and one field typed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator


@dataclass
class Journey:
    clicks: int = 0
    typed: int = 0
    started: float = field(default_factory=time.monotonic)

    def click(self, target: Locator) -> None:
        self.clicks += 1
        target.click()

    def check(self, target: Locator) -> None:
        self.clicks += 1
        target.check()

    def choose(self, target: Locator, value: str) -> None:
        self.clicks += 2  # open the list, pick the entry
        target.select_option(value)

    def fill(self, target: Locator, text: str) -> None:
        self.clicks += 1
        self.typed += 1
        target.fill(text)

    def upload(self, target: Locator, path: Path) -> None:
        self.clicks += 2  # open the file chooser, pick the file
        target.set_input_files(str(path))

    def report(self, what: str) -> str:
        return f"{what}: {self.clicks} clicks, {self.typed} fields typed, {time.monotonic() - self.started:.1f} s"
