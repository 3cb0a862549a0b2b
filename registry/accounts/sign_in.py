"""Signing in with a password, and the back-off after wrong passwords.

Wrong passwords are counted per account name *and* client address. After `max_failures` of them
that address must wait before it may try that account again (15 minutes, doubling with each further
wrong password, at most a day). The owner, signing in from anywhere else, is never held back by
someone guessing elsewhere, and an account that does not exist is treated exactly like one that
does, so the answers never tell which accounts exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from registry.accounts import security
from registry.models.accounts import ADDRESS_LENGTH, SignInBackoff, User
from registry.models.base import as_utc, utcnow

FORGET_AFTER = timedelta(days=1)  # wrong passwords older than this (and not blocking) no longer count
LONGEST_WAIT = timedelta(days=1)


class SignInRefused(Exception):
    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.locked = locked


@dataclass(frozen=True)
class Backoff:
    """How many wrong passwords lead to a wait, and how long the first wait is."""

    max_failures: int
    minutes: int


WRONG_PASSWORD = "Wrong email or password."


def account_name(email: str) -> str:
    return email.strip().lower()[:254]


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    address: str,
    backoff: Backoff,
    now: datetime | None = None,
) -> User:
    """The account, when the password is right and this address is not waiting; else SignInRefused."""
    now = now or utcnow()
    account = account_name(email)
    record = _record(session, account=account, address=address)
    _refuse_while_waiting(record, now)
    user = session.exec(select(User).where(User.email == account)).first()
    # The same work whether or not the account exists, so timing tells nothing either.
    right = security.verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not right:
        count_wrong_password(session, account=account, address=address, backoff=backoff, now=now)
        raise SignInRefused(WRONG_PASSWORD)
    if not user.active:
        raise SignInRefused("This account has been deactivated. If you still need it, ask your administrator.")
    if record is not None:
        session.delete(record)
        session.flush()
    return user


def check_not_waiting(session: Session, *, email: str, address: str, now: datetime | None = None) -> None:
    """Refuses a password check (SignInRefused) while this address must wait for this account."""
    _refuse_while_waiting(_record(session, account=account_name(email), address=address), now or utcnow())


def count_wrong_password(
    session: Session,
    *,
    account: str,
    address: str,
    backoff: Backoff,
    now: datetime | None = None,
) -> SignInBackoff:
    now = now or utcnow()
    record = _record(session, account=account, address=address)
    if record is None:
        forget_old_failures(session, now=now)
        try:
            with session.begin_nested():  # two first wrong passwords at once: the second finds the first's row
                record = SignInBackoff(
                    account=account, address=address[:ADDRESS_LENGTH], failures=0, last_failed_at=now
                )
                session.add(record)
                session.flush()
        except IntegrityError:
            record = _record(session, account=account, address=address)
            assert record is not None
    elif as_utc(record.last_failed_at) < now - FORGET_AFTER and not _blocking(record, now):
        record.failures = 0
    record.failures += 1
    record.last_failed_at = now
    beyond = record.failures - backoff.max_failures
    if beyond >= 0:
        wait = min(timedelta(minutes=backoff.minutes) * (2 ** min(beyond, 16)), LONGEST_WAIT)
        record.blocked_until = now + wait
    session.add(record)
    session.flush()
    return record


def unlock(session: Session, *, email: str) -> int:
    """Lets every address try the account again at once. Returns how many addresses were waiting."""
    records = list(session.exec(select(SignInBackoff).where(SignInBackoff.account == account_name(email))))
    for record in records:
        session.delete(record)
    session.flush()
    return len(records)


def locked_until(session: Session, *, emails: list[str], now: datetime | None = None) -> dict[str, datetime]:
    """For each account some address must wait for: the latest moment one may try again."""
    now = now or utcnow()
    found: dict[str, datetime] = {}
    if not emails:
        return found
    rows = session.exec(
        select(SignInBackoff).where(
            col(SignInBackoff.account).in_(emails), col(SignInBackoff.blocked_until).is_not(None)
        )
    )
    for record in rows:
        if _blocking(record, now):
            until = as_utc(record.blocked_until)  # type: ignore[arg-type]
            found[record.account] = max(until, found.get(record.account, until))
    return found


def forget_old_failures(session: Session, *, now: datetime | None = None) -> None:
    """Drops records that neither block nor count any more (keeps the table small)."""
    now = now or utcnow()
    session.execute(
        delete(SignInBackoff).where(
            col(SignInBackoff.last_failed_at) < now - FORGET_AFTER,
            (col(SignInBackoff.blocked_until).is_(None)) | (col(SignInBackoff.blocked_until) <= now),
        )
    )


def _record(session: Session, *, account: str, address: str) -> SignInBackoff | None:
    return session.exec(
        select(SignInBackoff).where(SignInBackoff.account == account, SignInBackoff.address == address[:ADDRESS_LENGTH])
    ).first()


def _refuse_while_waiting(record: SignInBackoff | None, now: datetime) -> None:
    if record is not None and _blocking(record, now):
        raise SignInRefused(_locked_message(as_utc(record.blocked_until) - now), locked=True)  # type: ignore[arg-type]


def _blocking(record: SignInBackoff, now: datetime) -> bool:
    return record.blocked_until is not None and as_utc(record.blocked_until) > now


def _locked_message(wait: timedelta) -> str:
    minutes = max(1, -(-int(wait.total_seconds()) // 60))
    when = f"{minutes} minute{'s' if minutes != 1 else ''}" if minutes < 120 else f"{round(minutes / 60)} hours"
    return (
        f"Too many wrong passwords for this account from this computer or network: signing in from here "
        f"is locked for {when}. Try again then, or ask your administrator to unlock it."
    )


_DUMMY_HASH = security.hash_password("not-a-real-password-used-for-timing")
