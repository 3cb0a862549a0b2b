"""Administrators: accounts (roles, link to a person, unlock, deactivate, temporary password), API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep
from api.web.auth import AdminPage, FormDep, PageRoute
from api.web.forms import FORM, field_errors, optional, text_values
from api.web.templating import flash, render
from registry.accounts import service as accounts
from registry.accounts import sign_in as signing_in
from registry.accounts.permissions import ROLE_LABELS
from registry.accounts.schemas import ApiTokenCreate, UserCreate, UserUpdate
from registry.consents import standing
from registry.core.errors import RegistryError
from registry.models.accounts import User
from registry.people import service as people
from registry.policy.ledger import District

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _users_page(
    request: Request, session: Session, *, values: dict[str, object], errors: dict[str, str], status_code: int = 200
) -> Response:
    users = accounts.list_users(session)
    linked = accounts.linked_people(session, users)
    return render(
        request,
        "admin/users.html",
        {
            "users": users,
            "linked": linked,
            "locks": signing_in.locked_until(session, emails=[u.email for u in users]),
            "values": values,
            "errors": errors,
        },
        status_code=status_code,
    )


@router.get("/admin/users")
def users(request: Request, session: SessionDep, _: AdminPage) -> Response:
    return _users_page(request, session, values={"role": "employee"}, errors={})


@router.post("/admin/users")
def add_user(request: Request, form: FormDep, session: SessionDep, _: AdminPage) -> Response:
    values = text_values(form)
    errors: dict[str, str] = {}
    external_id = optional(values, "external_id")
    person = people.find_by_external_id(session, external_id) if external_id else None
    if external_id and person is None:
        values.pop("password", None)
        return _users_page(
            request,
            session,
            values=values,
            status_code=422,
            errors={
                "external_id": f"No one in the registry has the ID {external_id}; add them first or leave it empty."
            },
        )
    try:
        data = UserCreate.model_validate(
            {
                "email": values.get("email", ""),
                "full_name": values.get("full_name", ""),
                "role": values.get("role", ""),
                "password": form.get("password") or "",
                "person_id": person.id if person else None,
                # A password an administrator chose is known to two people: its owner replaces it at once.
                "must_change_password": True,
            }
        )
        with session.begin_nested():
            user = accounts.add_user(session, data=data)
    except ValidationError as exc:
        errors = field_errors(exc)
        if "password" in errors:
            errors["password"] = "The password must be at least 10 characters long."
    except RegistryError as exc:
        field = {409: "email"}.get(exc.status_code, FORM)
        if "password" in exc.message.lower():
            field = "password"
        elif "linked to the account" in exc.message:
            field = "external_id"
        errors = {field: exc.message}
    if errors:
        values.pop("password", None)
        return _users_page(request, session, values=values, errors=errors, status_code=422)
    flash(
        request,
        f"The account for {user.full_name} ({user.email}) has been created. "
        "Give them the password in person; they sign in with their email address and then choose their own.",
    )
    return RedirectResponse("/admin/users", status_code=303)


def _account_page(
    request: Request,
    session: Session,
    user: User,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    temporary: accounts.TemporaryPasswordResult | None = None,
    status_code: int = 200,
) -> Response:
    person = people.get_person(session, user.person_id) if user.person_id else None
    locks = signing_in.locked_until(session, emails=[user.email])
    return render(
        request,
        "admin/account.html",
        {
            "account": user,
            "person": person,
            "locked_until": locks.get(user.email),
            "api_tokens": accounts.live_api_tokens(session, user=user),
            "temporary": temporary,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/admin/users/{user_id}")
def account(request: Request, user_id: int, session: SessionDep, _: AdminPage) -> Response:
    return _account_page(request, session, accounts.get_user(session, user_id))


@router.post("/admin/users/{user_id}/role")
def change_role(
    request: Request, form: FormDep, user_id: int, session: SessionDep, district: DistrictDep, admin: AdminPage
) -> Response:
    user = accounts.get_user(session, user_id)
    try:
        changes = UserUpdate.model_validate({"role": form.get("role")})
        accounts.update_user(session, user=user, changes=changes, by=admin, district=district)
    except ValidationError:
        return _account_page(request, session, user, errors={"role": "Choose one of the roles."}, status_code=422)
    flash(request, f"{user.full_name} now has the role {ROLE_LABELS[user.role]}.")
    return _back(user)


@router.post("/admin/users/{user_id}/link")
def link(
    request: Request, form: FormDep, user_id: int, session: SessionDep, district: DistrictDep, _: AdminPage
) -> Response:
    user = accounts.get_user(session, user_id)
    external_id = str(form.get("external_id") or "").strip()
    person = people.find_by_external_id(session, external_id) if external_id else None
    if person is None:
        message = (
            f"No one in the registry has the ID {external_id}; add them first on the People page."
            if external_id
            else "Type the staff ID from the HR roster."
        )
        return _account_page(
            request,
            session,
            user,
            errors={"external_id": message},
            values={"external_id": external_id},
            status_code=422,
        )
    try:
        with session.begin_nested():
            accounts.link_person(session, user=user, person_id=person.id, district=district)
    except RegistryError as exc:
        return _account_page(
            request,
            session,
            user,
            errors={"external_id": exc.message},
            values={"external_id": external_id},
            status_code=exc.status_code,
        )
    flash(
        request,
        f"{user.full_name}'s account is now linked to {person.name}'s record ({person.external_id}): "
        f"their own face no longer stops them posting their photos.{_taken_down(session)}",
    )
    return _back(user)


def _taken_down(session: Session) -> str:
    """What a change of link did to the account's posted photos, in words (nothing when nothing)."""
    n = len(standing.requested_in(session))
    if not n:
        return ""
    if n == 1:
        return " 1 photo it posted is no longer allowed: its user is asked to take it down."
    return f" {n} photos it posted are no longer allowed: its user is asked to take them down."


@router.post("/admin/users/{user_id}/unlink")
def unlink(request: Request, user_id: int, session: SessionDep, district: DistrictDep, _: AdminPage) -> Response:
    user = accounts.get_user(session, user_id)
    accounts.link_person(session, user=user, person_id=None, district=district)
    flash(request, f"{user.full_name}'s account is no longer linked to a person's record.{_taken_down(session)}")
    return _back(user)


@router.post("/admin/users/{user_id}/unlock")
def unlock(request: Request, user_id: int, session: SessionDep, _: AdminPage) -> Response:
    user = accounts.get_user(session, user_id)
    signing_in.unlock(session, email=user.email)
    flash(request, f"{user.full_name} can sign in again now, from anywhere.")
    return _back(user)


def _confirm(
    request: Request, user: User, *, action: str, title: str, words: list[str], button: str, **kept: str
) -> Response:
    """A step that cannot be taken back without work is asked once more, on its own page."""
    return render(
        request,
        "admin/confirm.html",
        {"account": user, "action": action, "title": title, "words": words, "button": button, "kept": kept},
    )


@router.post("/admin/users/{user_id}/deactivate")
def deactivate(
    request: Request, form: FormDep, user_id: int, session: SessionDep, district: DistrictDep, admin: AdminPage
) -> Response:
    user = accounts.get_user(session, user_id)
    if form.get("confirmed") != "yes":
        return _confirm(
            request,
            user,
            action=f"/admin/users/{user.id}/deactivate",
            title=f"Deactivate {user.full_name}'s account?",
            words=[
                f"{user.full_name} ({user.email}) is signed out everywhere at once and cannot sign in again.",
                "Its API tokens stop working: programs that use them are refused.",
                "Everything they did stays recorded, and you can reactivate the account later.",
            ],
            button=f"Yes, deactivate {user.full_name}'s account",
        )
    return _set_active(request, session, user, by=admin, active=False, district=district)


@router.post("/admin/users/{user_id}/reactivate")
def reactivate(
    request: Request, user_id: int, session: SessionDep, district: DistrictDep, admin: AdminPage
) -> Response:
    user = accounts.get_user(session, user_id)
    return _set_active(request, session, user, by=admin, active=True, district=district)


def _set_active(
    request: Request, session: Session, user: User, *, by: User, active: bool, district: District
) -> Response:
    accounts.update_user(session, user=user, changes=UserUpdate(active=active), by=by, district=district)
    if active:
        flash(
            request,
            f"{user.full_name}'s account is active again: they can sign in with their password "
            "(API tokens that were not revoked work again).",
        )
    else:
        flash(
            request,
            f"{user.full_name}'s account is deactivated: they were signed out everywhere and its "
            "API tokens stopped working. You can reactivate it later.",
        )
    return _back(user)


@router.post("/admin/users/{user_id}/temporary-password")
def temporary_password(
    request: Request, form: FormDep, user_id: int, session: SessionDep, admin: AdminPage
) -> Response:
    user = accounts.get_user(session, user_id)
    if user.id == admin.id:
        flash(request, "Change your own password with “Change my password” at the top of the page.", kind="error")
        return _back(user)
    # The box is ticked when the page shows it; left unticked, the account's API tokens go on working.
    revoke_tokens = form.get("revoke_api_tokens") == "yes"
    if form.get("confirmed") != "yes":
        tokens = accounts.live_api_tokens(session, user=user)
        return _confirm(
            request,
            user,
            action=f"/admin/users/{user.id}/temporary-password",
            title=f"Set a temporary password for {user.full_name}?",
            words=[
                f"{user.full_name}'s password stops working now, and they are signed out everywhere.",
                "You will see the temporary password once, to give them in person or by phone; they choose their "
                "own when they sign in with it.",
                (
                    f"Its {len(tokens)} API token{'s are' if len(tokens) != 1 else ' is'} revoked too."
                    if revoke_tokens and tokens
                    else f"Its {len(tokens)} API token{'s go' if len(tokens) != 1 else ' goes'} on working."
                    if tokens
                    else "The account has no API token."
                ),
            ],
            button="Yes, set a temporary password",
            **({"revoke_api_tokens": "yes"} if revoke_tokens else {}),
        )
    done = accounts.set_temporary_password(session, user=user, revoke_api_tokens=revoke_tokens)
    # Rendered, not redirected: the password is shown on this response only and never stored readable.
    return _account_page(request, session, user, temporary=done)


@router.get("/admin/users/{user_id}/temporary-password")
def temporary_password_again(user_id: int, _: AdminPage) -> Response:
    """The address of the page that showed a temporary password, opened again: it is never shown twice."""
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


def _back(user: User) -> Response:
    return RedirectResponse(f"/admin/users/{user.id}", status_code=303)


def _tokens_page(
    request: Request,
    session: Session,
    *,
    values: dict[str, object],
    errors: dict[str, str],
    created: str | None = None,
    status_code: int = 200,
) -> Response:
    owners = {u.id: u for u in accounts.list_users(session)}
    choices = [(str(u.id), f"{u.full_name} ({ROLE_LABELS[u.role]})") for u in owners.values() if u.active]
    return render(
        request,
        "admin/tokens.html",
        {
            "tokens": accounts.list_api_tokens(session),
            "owners": owners,
            "owner_choices": choices,
            "values": values,
            "errors": errors,
            "created": created,
        },
        status_code=status_code,
    )


@router.get("/admin/tokens")
def tokens(request: Request, session: SessionDep, _: AdminPage) -> Response:
    return _tokens_page(request, session, values={}, errors={})


@router.post("/admin/tokens")
def create_token(request: Request, form: FormDep, session: SessionDep, admin: AdminPage) -> Response:
    values = text_values(form)
    errors: dict[str, str] = {}
    try:
        owner = optional(values, "user_id")
        data = ApiTokenCreate.model_validate(
            {
                "name": values.get("name", ""),
                "user_id": int(owner) if owner and owner.isdigit() else None,
                "expires_at": optional(values, "expires_at"),
            }
        )
        with session.begin_nested():
            record, token = accounts.create_api_token(session, data=data, created_by=admin)
    except ValidationError as exc:
        errors = field_errors(exc)
    except RegistryError as exc:
        errors = {FORM: exc.message}
    if errors:
        return _tokens_page(request, session, values=values, errors=errors, status_code=422)
    # Rendered, not redirected: the token is shown on this response only and never stored readable.
    return _tokens_page(request, session, values={}, errors={}, created=token)


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, session: SessionDep, _: AdminPage) -> Response:
    record = accounts.revoke_api_token(session, token_id=token_id)
    flash(request, f"The API token “{record.name}” has been revoked; programs using it are refused from now on.")
    return RedirectResponse("/admin/tokens", status_code=303)
