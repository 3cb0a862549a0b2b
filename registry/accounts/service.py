"""User accounts and their lifecycle (link, deactivate, passwords, sessions), and API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from registry.accounts import passwords, security, sign_in
from registry.accounts.permissions import Role
from registry.accounts.schemas import ApiTokenCreate, UserCreate, UserUpdate
from registry.consents import standing
from registry.core import audit
from registry.core.errors import Conflict, Invalid, NotFound
from registry.models.accounts import ApiToken, User
from registry.models.base import as_utc, id_of, utcnow
from registry.models.clearances import Clearance
from registry.models.people import Person
from registry.policy.ledger import District

API_TOKEN_USE_PRECISION = timedelta(minutes=15)


class WrongPassword(Invalid):
    """The current password given to change it is not the account's."""


class SignInEnded(Conflict):
    """The sign-in asking for a change ended while it waited: another change of the account came first."""


SIGN_IN_ENDED = (
    "Your password was not changed: at the same moment your password was changed, or you were signed out, "
    "somewhere else, and that ended this sign-in. Sign in again with the password now in force."
)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def add_user(session: Session, *, data: UserCreate) -> User:
    email = data.email.strip().lower()
    if find_user_by_email(session, email) is not None:
        raise Conflict(f"An account for {email} already exists.")
    _check_password(data.password, email=email, full_name=data.full_name)
    if data.person_id is not None:
        _check_person(session, person_id=data.person_id, user=None)
    user = User(
        email=email,
        full_name=data.full_name,
        role=data.role,
        person_id=data.person_id,
        password_hash=security.hash_password(data.password),
        must_change_password=data.must_change_password,
    )
    session.add(user)
    session.flush()
    return user


def update_user(session: Session, *, user: User, changes: UserUpdate, by: User, district: District) -> User:
    """Role, link to a person's record, and active or deactivated, as an administrator sets them."""
    values = changes.model_dump(exclude_unset=True)
    if user.id == by.id and (values.get("active") is False or values.get("role", "admin") != "admin"):
        raise Conflict("You cannot deactivate or demote your own administrator account.")
    if "person_id" in values:
        link_person(session, user=user, person_id=values["person_id"], district=district)
    if "role" in values:
        user.role = values["role"]
    if values.get("active") is False:
        deactivate(session, user=user)
    elif values.get("active") is True:
        reactivate(session, user=user)
    session.add(user)
    session.flush()
    return user


def link_person(session: Session, *, user: User, person_id: int | None, district: District) -> User:
    """Links the account to the person's record (their own face never blocks their photos); None unlinks.

    Only an employee's record may be linked: whoever is linked is the uploader's "own face", allowed in
    every photo the account posts. A change of link decides the account's posted photos again; each one
    no longer allowed becomes a takedown request."""
    if person_id is not None:
        _check_person(session, person_id=person_id, user=user)
    changed = user.person_id != person_id
    user.person_id = person_id
    session.add(user)
    session.flush()
    if changed:
        standing.recheck_clearances(
            session, where=col(Clearance.uploader_id) == id_of(user), district=district, cause="account_link"
        )
    return user


def deactivate(session: Session, *, user: User) -> User:
    """No sign-in, page, access token or API token of the account works from now on."""
    hold(session, user)
    user.active = False
    return _next_session(session, user)


def reactivate(session: Session, *, user: User) -> User:
    """The account may sign in again; sessions from before the deactivation stay ended."""
    user.active = True
    session.add(user)
    session.flush()
    return user


def end_sessions(session: Session, *, user: User) -> User:
    """Every page session and access token of the account stops working (API tokens are not sessions)."""
    hold(session, user)
    return _next_session(session, user)


def hold(session: Session, user: User) -> None:
    """The account as it is now, its row locked until this transaction ends: a change of the account made
    meanwhile elsewhere (a password, a sign-out) is waited for and read, never overwritten. The audit chain's
    lock first, then the row, as every writer takes them (registry/core/audit.py), so no two wait on each other."""
    session.flush()
    audit.lock_chain(session)
    session.refresh(user, with_for_update=True)


def _next_session(session: Session, user: User) -> User:
    """Raises the session number of an account held (see hold): every earlier session of it ends."""
    user.session_version += 1
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class TemporaryPasswordResult:
    """What setting a temporary password did: the password made (None when given), the account's API tokens
    revoked in the same act, and those left working."""

    password: str | None
    tokens_revoked: list[ApiToken]
    tokens_working: list[ApiToken]


def set_temporary_password(
    session: Session, *, user: User, password: str | None = None, revoke_api_tokens: bool
) -> TemporaryPasswordResult:
    """A password the account must change at its next sign-in; ends its sessions and lets every address
    sign in again. API tokens are not sessions: they are revoked too when asked (an account someone else
    may hold is held only when they are), else they go on working and the answer lists them."""
    made = None
    if password is None:
        password = made = security.new_password()
    _check_password(password, email=user.email, full_name=user.full_name)
    password_hash = security.hash_password(password)  # seconds of work, before the account is held
    hold(session, user)
    user.password_hash = password_hash
    user.must_change_password = True
    _next_session(session, user)
    sign_in.unlock(session, email=user.email)
    working = live_api_tokens(session, user=user)
    if not revoke_api_tokens:
        return TemporaryPasswordResult(password=made, tokens_revoked=[], tokens_working=working)
    for token in working:
        revoke_api_token(session, token_id=id_of(token))
    return TemporaryPasswordResult(password=made, tokens_revoked=working, tokens_working=[])


def change_password(
    session: Session,
    *,
    user: User,
    current: str,
    new: str,
    address: str,
    backoff: sign_in.Backoff,
) -> User:
    """The account's own new password. Ends every other session; the caller starts a fresh one.

    ``user`` is the account as the request's sign-in read it. Two changes at once: the second waits for the
    first (see hold) and is refused with SignInEnded, as the first ended its sign-in; it never overwrites
    the first's password nor gets a session of its own."""
    signed_in_as = user.session_version
    sign_in.check_not_waiting(session, email=user.email, address=address)
    if not security.verify_password(user.password_hash, current):
        sign_in.count_wrong_password(session, account=user.email, address=address, backoff=backoff)
        raise WrongPassword("Your current password is not right. Type the password you signed in with.")
    if new == current:
        raise Invalid("The new password must be different from the current one.")
    _check_password(new, email=user.email, full_name=user.full_name)
    password_hash = security.hash_password(new)  # seconds of work, before the account is held
    hold(session, user)
    if user.session_version != signed_in_as or not user.active:
        raise SignInEnded(SIGN_IN_ENDED)
    user.password_hash = password_hash
    user.must_change_password = False
    return _next_session(session, user)


def replace_temporary_password(session: Session, *, user: User, new: str) -> User:
    """The owner's own password in place of the one an administrator set, right after signing in with it: the
    sign-in has just checked the temporary password, so it is not asked again (the caller keeps that proof,
    briefly, with the sign-in). Refused for an account whose password is its own. Ends every other session."""
    if not user.must_change_password:
        raise Invalid("Type your current password to change it.")
    signed_in_as = user.session_version
    if security.verify_password(user.password_hash, new):
        raise Invalid("The new password must be different from the temporary one.")
    _check_password(new, email=user.email, full_name=user.full_name)
    password_hash = security.hash_password(new)  # seconds of work, before the account is held
    hold(session, user)
    if user.session_version != signed_in_as or not user.active or not user.must_change_password:
        raise SignInEnded(SIGN_IN_ENDED)
    user.password_hash = password_hash
    user.must_change_password = False
    return _next_session(session, user)


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.email))))


def linked_people(session: Session, users: list[User]) -> dict[int, Person]:
    """The person's record of each linked account, by person id."""
    ids = {u.person_id for u in users if u.person_id is not None}
    if not ids:
        return {}
    return {id_of(p): p for p in session.exec(select(Person).where(col(Person.id).in_(ids)))}


def _check_password(password: str, *, email: str, full_name: str) -> None:
    problem = passwords.password_problem(password, about=(email, full_name))
    if problem:
        raise Invalid(problem)


def _check_person(session: Session, *, person_id: int, user: User | None) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise Invalid(f"No person with id {person_id} to link this account to.")
    if person.kind != "employee":
        kind = person.kind.replace("_", " ")
        raise Invalid(
            f"{person.name} ({person.external_id}) is a {kind}: only an employee's own record can be linked "
            "to an account. Type the staff ID of the person who uses this account."
        )
    holder = session.exec(select(User).where(User.person_id == person_id)).first()
    if holder is not None and (user is None or holder.id != user.id):
        raise Conflict(
            f"{person.name}'s record is already linked to the account {holder.email}. Unlink it there first."
        )
    return person


def create_api_token(session: Session, *, data: ApiTokenCreate, created_by: User) -> tuple[ApiToken, str]:
    owner = get_user(session, data.user_id) if data.user_id is not None else created_by
    token, digest = security.new_api_token()
    record = ApiToken(
        name=data.name,
        user_id=id_of(owner),
        token_hash=digest,
        prefix=token[:10],
        created_by_id=id_of(created_by),
        expires_at=as_utc(data.expires_at) if data.expires_at else None,
    )
    session.add(record)
    session.flush()
    return record, token


def find_api_token(session: Session, token: str, *, now: datetime | None = None) -> ApiToken | None:
    """The token's record while it is neither revoked nor expired."""
    now = now or utcnow()
    record = session.exec(select(ApiToken).where(ApiToken.token_hash == security.api_token_hash(token))).first()
    if record is None or record.revoked_at is not None:
        return None
    if record.expires_at is not None and as_utc(record.expires_at) <= now:
        return None
    return record


def note_api_token_use(session: Session, *, record: ApiToken, now: datetime | None = None) -> None:
    """Records when the token was last used, to the quarter hour (each record is an audited write)."""
    now = now or utcnow()
    if record.last_used_at is None or as_utc(record.last_used_at) <= now - API_TOKEN_USE_PRECISION:
        record.last_used_at = now
        session.add(record)
        session.flush()


def revoke_api_token(session: Session, *, token_id: int) -> ApiToken:
    record = session.get(ApiToken, token_id)
    if record is None:
        raise NotFound(f"No API token with id {token_id}.")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
        session.flush()
    return record


def live_api_tokens(session: Session, *, user: User) -> list[ApiToken]:
    """The account's API tokens that still work: neither revoked nor expired."""
    now = utcnow()
    tokens = session.exec(
        select(ApiToken)
        .where(ApiToken.user_id == id_of(user), col(ApiToken.revoked_at).is_(None))
        .order_by(col(ApiToken.id))
    )
    return [t for t in tokens if t.expires_at is None or as_utc(t.expires_at) > now]


def list_api_tokens(session: Session) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).order_by(col(ApiToken.id))))


def ensure_first_admin(session: Session, *, email: str | None, password: str | None) -> tuple[User, str | None] | None:
    """Creates the first administrator when there is none. Returns it and a generated password, if any."""
    if session.exec(select(User).where(User.role == Role.ADMIN)).first() is not None:
        return None
    generated = None
    if not password:
        password = generated = security.new_password()
    problem = passwords.password_problem(password, about=(email or "admin@example.org", "Administrator"))
    if problem:
        raise Invalid(f"REGISTRY_ADMIN_PASSWORD: {problem}")
    user = add_user(
        session,
        data=UserCreate(
            email=email or "admin@example.org",
            full_name="Administrator",
            role="admin",
            password=password,
        ),
    )
    return user, generated
