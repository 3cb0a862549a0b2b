"""Sign in, sign out, and each role's home page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from api.deps import SessionDep, SettingsDep
from api.web.auth import USER_KEY, FormDep, PageRoute, PageUser, check_csrf, sign_in_session
from api.web.templating import flash, render
from registry import accounts, takedowns

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
        user = accounts.sign_in(session, email=email, password=password,
                                max_failures=settings.login_max_failures,
                                lockout_minutes=settings.login_lockout_minutes)
    except accounts.SignInRefused as exc:
        # Returned, not raised: the session dependency then keeps the failure count.
        return render(request, "login.html", {"next": target, "values": {"email": email}, "error": exc.message},
                      status_code=429 if exc.locked else 401)
    sign_in_session(request, user)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, _: PageUser) -> Response:
    request.session.clear()
    flash(request, "You are signed out.")
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home(request: Request, session: SessionDep, user: PageUser) -> Response:
    _, open_takedowns = takedowns.list_takedowns(session, user=user, state="open", limit=1)
    return render(request, "home.html", {"open_takedowns": open_takedowns})
