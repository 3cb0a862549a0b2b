"""Reading a pack's TOML tables: typed fields, and the line a problem is on."""

from __future__ import annotations

import re
from typing import Any

from registry.policy.rules import PackError
from registry.policy.vocabulary import ANY


def known_keys(table: dict[str, Any], known: frozenset[str], where: str) -> None:
    if unknown := sorted(set(table) - known):
        raise PackError(
            f"unknown key '{unknown[0]}' in {where}; known keys: " + ", ".join(sorted(known)),
            key=unknown[0],
        )


def optional_text(table: dict[str, Any], key: str, where: str) -> str | None:
    return None if table.get(key) is None else required_text(table, key, where)


def required_text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if value is None:
        raise PackError(f"`{key}` is missing in {where}")
    if not isinstance(value, str):
        raise PackError(f"`{key}` must be a string in {where}", key=key)
    return value


def word_set(
    table: dict[str, Any],
    key: str,
    where: str,
    *,
    everything: frozenset[str] | None = None,
    required: bool = True,
) -> frozenset[str]:
    """A list of words; or "any", meaning `everything`, where the key allows it."""
    value = table.get(key)
    if value is None:
        if required:
            raise PackError(f"`{key}` is missing in {where}")
        return frozenset()
    if value == ANY and everything is not None:
        return everything
    if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
        allowed = ' or "any"' if everything is not None else ""
        raise PackError(f"`{key}` in {where} must be a list of words{allowed}", key=key)
    return frozenset(value)


def flag(table: dict[str, Any], key: str, where: str, default: bool | None = None) -> bool:
    value = table.get(key, default)
    if value is None:
        raise PackError(f"`{key}` (true or false) is missing in {where}")
    if not isinstance(value, bool):
        raise PackError(f"`{key}` in {where} must be true or false", key=key)
    return value


class SourceLines:
    """Finds the line of a table or key in the pack's text, for error messages."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def locate(self, error: PackError) -> int:
        """The line to fix: the key named by the error, in its rule if it has one."""
        if error.key:
            return self.find(error.key, error.line or 1)
        return error.line or self.header("pack")

    def rule_headers(self) -> list[int]:
        pattern = re.compile(r"^\s*\[\[\s*rule\s*\]\]")
        return [n for n, line in enumerate(self.lines, start=1) if pattern.match(line)]

    def header(self, table: str) -> int:
        pattern = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]")
        return next((n for n, line in enumerate(self.lines, 1) if pattern.match(line)), 1)

    def find(self, key: str, start: int) -> int:
        """The first line from `start` that sets `key` or opens a table named `key`."""
        pattern = re.compile(rf"^\s*(\[+\s*([\w.-]+\.)?)?\"?{re.escape(key)}\"?\s*[=\].]")
        for n in range(start, len(self.lines) + 1):
            if pattern.match(self.lines[n - 1]):
                return n
        return start
