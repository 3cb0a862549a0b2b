"""Every command an administrator can run explains itself with --help."""

from __future__ import annotations

import inspect
import re

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from scripts.cli import app

COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]
ADMINISTRATION = {
    "import-roster",
    "enrol-folder",
    "audit-verify",
    "expiry-scan",
    "purge",
    "backup",
    "restore",
    "clear",
    "retention",
    "biometrics-report",
    "create-user",
    "migrate",
    "serve",
    "audit-head",
}


def words(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─`]", " ", text).split())


def test_the_administrators_commands_are_all_there() -> None:
    assert set(COMMANDS) >= ADMINISTRATION


@pytest.mark.parametrize("name", COMMANDS)
def test_help_describes_the_command_in_whole_sentences(name: str) -> None:
    command = get_command(app).commands[name]  # type: ignore[attr-defined]
    result = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    doc = inspect.getdoc(command.callback) or ""
    first = words(doc.split("\n\n")[0])
    assert len(first) > 15
    assert first in words(result.output)
    # Paragraphs are re-wrapped to the terminal: a source line break that shows at two widths was kept.
    narrower = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "150"}).output
    ends = [{out.strip() for out in output.splitlines()} for output in (result.output, narrower)]
    for paragraph in doc.split("\n\n"):
        for line in (line.strip() for line in paragraph.splitlines()[:-1]):
            assert len(line) < 40 or not all(any(out.endswith(line) for out in lines) for lines in ends), line
    for parameter in command.params:
        if parameter.name != "help" and not getattr(parameter, "hidden", False):
            assert parameter.help, f"{name}: {parameter.name} has no help"
