"""What makes a password acceptable: long enough, not easily guessed, and exactly as typed.

Guessability is estimated offline by zxcvbn (its word lists ship inside the package): common
passwords, names, keyboard patterns, repeats, dates, and the account's own name and email are what
an attacker tries first. A password must need at least 10^8 guesses (zxcvbn's score 3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 200
MIN_SCORE = 3
_ESTIMATED_LENGTH = 72  # zxcvbn's limit; a longer password is at least as strong as its first 72 characters

EXAMPLE = "lantern orbit pickle meadow"  # shown as an example, so refused as a password
RULES = (
    f"at least {MIN_LENGTH} characters, not easy to guess (not a common password, a name, a date, "
    "a keyboard pattern or repeated characters), and no spaces at the start or end"
)


def password_problem(password: str, *, about: Iterable[str] = ()) -> str | None:
    """What is wrong with a new password, in plain words, or None. `about`: the account's own words."""
    if password != password.strip():
        return (
            "A password cannot start or end with a space: it would be easy to get wrong when "
            "signing in. Remove the spaces at the start or end (spaces between words are fine)."
        )
    if len(password) < MIN_LENGTH:
        return f"The password must be at least {MIN_LENGTH} characters long."
    if len(password) > MAX_LENGTH:
        return f"The password can be at most {MAX_LENGTH} characters long."
    own = [w for value in about for w in _words(value)]
    estimate = zxcvbn(
        password[:_ESTIMATED_LENGTH], user_inputs=[*own, EXAMPLE, *EXAMPLE.split()], max_length=_ESTIMATED_LENGTH
    )
    if estimate["score"] >= MIN_SCORE:
        return None
    feedback = estimate.get("feedback") or {}
    why = str(feedback.get("warning") or "").strip()
    if password.lower().startswith(EXAMPLE):
        why = "It is the example we give, so it is among the first someone would try."
    elif not why and any(w in password.lower() for w in own if len(w) >= 3):
        why = "It contains your name or email address."
    reason = f" {why}" if why else " It is one of the first things someone would try."
    return (
        f"This password is too easy to guess.{reason} Try three or four unrelated words, "
        f"for example “{EXAMPLE}”, or a longer phrase only you would think of."
    )


def _words(value: str) -> list[str]:
    """An email or a name as the words zxcvbn should treat as known to an attacker."""
    value = value.lower()
    parts = [value, value.split("@")[0], *re.split(r"[@.\-_\s]+", value)]
    return [p for p in parts if p]
