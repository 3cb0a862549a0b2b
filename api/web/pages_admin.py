"""Administrators: accounts and roles, and API tokens for integrations (shown once)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from api.deps import SessionDep
from api.web.auth import AdminPage, FormDep, PageRoute
from api.web.forms import FORM, field_errors, optional, text_values
from api.web.templating import ROLE_LABELS, flash, render
from registry import accounts, people
from registry.errors import RegistryError
from registry.models import User
from registry.schemas import ApiTokenCreate, UserCreate, UserUpdate

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _users_page(request: Request, session: Session, *, values: dict[str, object], errors: dict[str, str],
                status_code: int = 200) -> Response:
    return render(request, "admin/users.html", {
        "users": accounts.list_users(session), "values": values, "errors": errors}, status_code=status_code)


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
        return _users_page(request, session, values=values, status_code=422, errors={
            "external_id": f"No one in the registry has the ID {external_id}; add them first or leave it empty."})
    try:
        data = UserCreate.model_validate({
            "email": values.get("email", ""), "full_name": values.get("full_name", ""),
            "role": values.get("role", ""), "password": values.get("password", ""),
            "person_id": person.id if person else None})
        with session.begin_nested():
            user = accounts.add_user(session, data=data)
    except ValidationError as exc:
        errors = field_errors(exc)
        if "password" in errors:
            errors["password"] = "The password must be at least 10 characters long."
    except RegistryError as exc:
        errors = {"email" if exc.status_code == 409 else FORM: exc.message}
    if errors:
        values.pop("password", None)
        return _users_page(request, session, values=values, errors=errors, status_code=422)
    flash(request, f"The account for {user.full_name} ({user.email}) has been created. "
                   "Give them the password in person; they sign in with their email address.")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}")
def change_user(request: Request, form: FormDep, user_id: int, session: SessionDep, admin: AdminPage) -> Response:
    user = accounts.get_user(session, user_id)
    values = text_values(form)
    changes: dict[str, object] = {}
    if "role" in values:
        changes["role"] = values["role"]
    if values.get("active") in ("yes", "no"):
        changes["active"] = values["active"] == "yes"
    if user.id == admin.id and (changes.get("active") is False or changes.get("role", "admin") != "admin"):
        flash(request, "You cannot disable or demote your own administrator account.", kind="error")
        return RedirectResponse("/admin/users", status_code=303)
    try:
        update = UserUpdate.model_validate(changes)
    except ValidationError as exc:
        flash(request, "; ".join(field_errors(exc).values()), kind="error")
        return RedirectResponse("/admin/users", status_code=303)
    accounts.update_user(session, user=user, changes=update)
    flash(request, _changed(user))
    return RedirectResponse(f"/admin/users#user-{user.id}", status_code=303)


def _changed(user: User) -> str:
    state = "active" if user.active else "disabled"
    return f"{user.full_name} is now {state}, with the role {user.role.replace('_', ' ')}."


def _tokens_page(request: Request, session: Session, *, values: dict[str, object], errors: dict[str, str],
                 created: str | None = None, status_code: int = 200) -> Response:
    owners = {u.id: u for u in accounts.list_users(session)}
    choices = [(str(u.id), f"{u.full_name} ({ROLE_LABELS[u.role]})") for u in owners.values() if u.active]
    return render(request, "admin/tokens.html", {
        "tokens": accounts.list_api_tokens(session), "owners": owners, "owner_choices": choices,
        "values": values, "errors": errors, "created": created}, status_code=status_code)


@router.get("/admin/tokens")
def tokens(request: Request, session: SessionDep, _: AdminPage) -> Response:
    return _tokens_page(request, session, values={}, errors={})


@router.post("/admin/tokens")
def create_token(request: Request, form: FormDep, session: SessionDep, admin: AdminPage) -> Response:
    values = text_values(form)
    errors: dict[str, str] = {}
    try:
        owner = optional(values, "user_id")
        data = ApiTokenCreate.model_validate({
            "name": values.get("name", ""), "user_id": int(owner) if owner and owner.isdigit() else None,
            "expires_at": optional(values, "expires_at")})
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
