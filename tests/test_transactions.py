"""Transactions and session hooks live in one place: registry/core/db.py.

The audit trail must not depend on what else a process happened to import, and no module outside
the db module commits or rolls back on its own."""

from __future__ import annotations

import ast
import json
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from registry.core.db import make_engine
from registry.core.migrate import upgrade
from tests.paths import ROOT

WRITE_WITH_ONLY_DB_AND_A_SERVICE = """
import json, sys
from registry.core.db import make_engine, unit_of_work
from registry.people.service import add_person
from registry.people.schemas import PersonCreate

engine = make_engine(sys.argv[1])
with unit_of_work(engine, actor="test:one-service") as session:
    person = add_person(session, data=PersonCreate(external_id="S-1", kind="student", name="Ana Ruiz"))
    person_id = person.id
loaded = sorted(m for m in sys.modules if m.startswith(("registry.trust", "api", "scripts")))
print(json.dumps({"person_id": person_id, "loaded": loaded}))
"""


def test_a_write_through_one_service_is_audited_whatever_else_is_imported(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    done = subprocess.run(
        [sys.executable, "-c", WRITE_WITH_ONLY_DB_AND_A_SERVICE, url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["loaded"] == []  # nothing of the audit log's readers, the web or the commands
    with sqlite3.connect(tmp_path / "registry.db") as db:
        entries = db.execute(
            "SELECT actor, action FROM audit_entries WHERE table_name = 'people' AND row_id = ?",
            (str(result["person_id"]),),
        ).fetchall()
    assert entries == [("test:one-service", "insert")]


def _parsed(path: Path) -> ast.Module:
    """The file's syntax tree. Python 3.11.7's parser can raise "AST constructor recursion depth mismatch"
    in a thread whose recursion limit another test changed and restored (CPython gh-106905); a fresh
    thread has a clean count."""
    source = path.read_text()
    try:
        return ast.parse(source)
    except SystemError:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(ast.parse, source).result()


def _calls(path: Path) -> list[tuple[int, str]]:
    """Every commit or rollback called or handed on (``release=session.commit``)."""
    return [
        (node.lineno, node.attr)
        for node in ast.walk(_parsed(path))
        if isinstance(node, ast.Attribute) and node.attr in {"commit", "rollback"}
    ]


def _plain_sessions(path: Path) -> list[int]:
    """Lines that make a SQLModel or SQLAlchemy Session directly instead of the registry's."""
    tree = _parsed(path)
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in {"sqlmodel", "sqlalchemy.orm"}
        for alias in node.names
        if alias.name == "Session"
    }
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in imported
    ] + [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "partial"
        and node.args
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id in imported
    ]


def _sources(*packages: str) -> list[Path]:
    return [p for package in packages for p in sorted((ROOT / package).rglob("*.py"))]


def test_only_the_db_module_commits_or_rolls_back() -> None:
    db = ROOT / "registry" / "core" / "db.py"
    assert _calls(db)  # the reader sees them where they are
    elsewhere = {
        f"{path.relative_to(ROOT)}:{line} {what}"
        for path in _sources("api", "registry", "media", "scripts")
        if path != db
        for line, what in _calls(path)
    }
    assert elsewhere == set()


def test_every_session_is_the_registrys_own() -> None:
    plain = {
        f"{path.relative_to(ROOT)}:{line}"
        for path in _sources("api", "registry", "scripts", "benchmarks", "tests")
        for line in _plain_sessions(path)
    }
    assert plain == set()


def test_the_readers_find_what_they_look_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from sqlmodel import Session\n"
        "def f(engine, s):\n"
        "    s.commit()\n"
        "    s.rollback()\n"
        "    later(s.commit)\n"
        "    return Session(engine)\n"
    )
    assert sorted(_calls(sample)) == [(3, "commit"), (4, "rollback"), (5, "commit")]
    assert _plain_sessions(sample) == [6]
