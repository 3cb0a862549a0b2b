"""Sign in, sign out, and each role's home page."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep, SettingsDep, backoff, client_address
from api.web.auth import (
    PASSWORD_PAGE,
    USER_KEY,
    AnyPageUser,
    FormDep,
    PageRoute,
    PageUser,
    check_csrf,
    sign_in_session,
)
from api.web.templating import flash, render
from registry.accounts import passwords
from registry.accounts import service as accounts
from registry.accounts import sign_in as signing_in
from registry.accounts.permissions import Permission, may
from registry.clearances import reviews
from registry.clearances.disclosure import viewer_of
from registry.consents import standing
from registry.core.errors import Invalid
from registry.models.accounts import User
from registry.takedowns import service as takedowns

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another site, so the sign-in form cannot be used to send people away."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    if isinstance(request.session.get(USER_KEY), int):
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "values": {}, "error": None})


@router.post("/login")
def login(request: Request, form: FormDep, session: SessionDep, settings: SettingsDep) -> Response:
    check_csrf(request, form)
    email = str(form.get("email") or "").strip()
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or ""))
    try:
        user = signing_in.sign_in(
            session, email=email, password=password, address=client_address(request), backoff=backoff(settings)
        )
    except signing_in.SignInRefused as exc:
        # Returned, not raised: the session dependency then keeps the count of wrong passwords.
        return render(
            request,
            "login.html",
            {"next": target, "values": {"email": email}, "error": exc.message},
            status_code=429 if exc.locked else 401,
        )
    sign_in_session(request, user)
    if user.must_change_password:
        # The temporary password was typed a moment ago: the change that follows does not ask for it again.
        request.session[TEMPORARY_PROVED_KEY] = time.time()
        flash(request, "Your administrator set this password for you. Choose your own to continue.", kind="info")
        return RedirectResponse(PASSWORD_PAGE, status_code=303)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, session: SessionDep, user: AnyPageUser) -> Response:
    accounts.end_sessions(session, user=user)  # the cookie, copied or kept, no longer signs anyone in
    request.session.clear()
    flash(request, "You are signed out.")
    return RedirectResponse("/login", status_code=303)


TEMPORARY_PROVED_KEY = "temporary_password_typed_at"
TEMPORARY_PROOF_SECONDS = 15 * 60  # after that, the temporary password is asked again (a browser left open)


def _just_typed_temporary(request: Request, user: User) -> bool:
    """Whether this browser signed in with the account's temporary password within the last minutes."""
    typed_at = request.session.get(TEMPORARY_PROVED_KEY)
    fresh = isinstance(typed_at, float) and 0 <= time.time() - typed_at <= TEMPORARY_PROOF_SECONDS
    return user.must_change_password and fresh


def _password_page(request: Request, user: User, *, errors: dict[str, str], status_code: int = 200) -> Response:
    return render(
        request,
        "account/password.html",
        {"errors": errors, "rules": passwords.RULES, "ask_current": not _just_typed_temporary(request, user)},
        status_code=status_code,
    )


@router.get(PASSWORD_PAGE)
def password_form(request: Request, user: AnyPageUser) -> Response:
    return _password_page(request, user, errors={})


@router.post(PASSWORD_PAGE)
def change_password(
    request: Request,
    form: FormDep,
    session: SessionDep,
    settings: SettingsDep,
    user: AnyPageUser,
) -> Response:
    current, new, again = (
        str(form.get(name) or "") for name in ("current_password", "new_password", "new_password_again")
    )
    if new != again:
        return _password_page(
            request,
            user,
            status_code=422,
            errors={"new_password_again": "The two new passwords are not the same. Type the new password twice."},
        )
    try:
        if _just_typed_temporary(request, user):
            accounts.replace_temporary_password(session, user=user, new=new)
        else:
            accounts.change_password(
                session,
                user=user,
                current=current,
                new=new,
                address=client_address(request),
                backoff=backoff(settings),
            )
    except signing_in.SignInRefused as exc:
        return _password_page(request, user, status_code=429, errors={"current_password": exc.message})
    except accounts.SignInEnded as exc:  # another change of the account came first and ended this sign-in
        request.session.clear()
        flash(request, exc.message, kind="error")
        return RedirectResponse("/login", status_code=303)
    except Invalid as exc:
        # Returned, not raised: a wrong current password is counted, like a wrong sign-in.
        field = "current_password" if isinstance(exc, accounts.WrongPassword) else "new_password"
        return _password_page(request, user, status_code=422, errors={field: exc.message})
    request.session.pop(TEMPORARY_PROVED_KEY, None)
    sign_in_session(request, user)  # this browser goes on with a fresh session; every other one has ended
    flash(request, "Your password has been changed. Anywhere else you were signed in, you are now signed out.")
    return RedirectResponse("/", status_code=303)


@router.get("/")
def home(request: Request, session: SessionDep, district: DistrictDep, user: PageUser) -> Response:
    """Each person's home: what needs them now, then what they can do."""
    notices: dict[str, object] = {
        "open_takedowns": takedowns.open_for_uploader(session, user=user),
        "decided": reviews.clearance_summaries(  # with their standing now: one since on the take-down list says so
            session, reviews.decided_since_seen(session, user=user), viewer=viewer_of(session, user)
        ),
    }
    if may(user.role, Permission.MANAGE_PEOPLE):
        notices["expiring"] = standing.expiring_this_month(session, district=district)
    if may(user.role, Permission.REVIEW):
        notices["waiting"] = reviews.waiting_count(session)
    return render(request, "home.html", {**notices, "expiring_shown": EXPIRING_SHOWN})


EXPIRING_SHOWN = 10
