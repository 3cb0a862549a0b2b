"""Passwords are stored as Argon2id at the RFC 9106 low-memory parameters; the test suite's own accounts
use the cheapest parameters (tests/conftest.py), which the service never does."""

from __future__ import annotations

import subprocess
import sys

import argon2
from argon2 import profiles

from registry.accounts import security
from tests.conftest import PASSWORD
from tests.paths import ROOT


def test_the_service_stores_passwords_as_argon2id_at_the_rfc_9106_low_memory_parameters() -> None:
    fresh = subprocess.run(
        [sys.executable, "-c", f"from registry.accounts import security; print(security.hash_password({PASSWORD!r}))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    stored = fresh.stdout.strip()
    assert argon2.extract_parameters(stored) == profiles.RFC_9106_LOW_MEMORY
    assert security.verify_password(stored, PASSWORD)
    assert not security.verify_password(stored, PASSWORD + "!")


def test_the_suites_own_accounts_are_hashed_cheaply() -> None:
    assert argon2.extract_parameters(security.hash_password(PASSWORD)) == profiles.CHEAPEST
