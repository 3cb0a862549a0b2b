"""Reading HTML forms and turning validation errors into plain words beside the right field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

FORM = "__form__"  # the key of an error about the form as a whole

_PLAIN: dict[str, str] = {
    "missing": "Please fill this in.",
    "string_too_short": "Please fill this in.",
    "string_too_long": "This is too long (at most {max_length} characters).",
    "string_pattern_mismatch": "Use only letters, digits, dots, dashes and underscores (no spaces).",
    "literal_error": "Choose one of the options.",
    "enum": "Choose one of the options.",
    "date_from_datetime_parsing": "Enter a date, for example 2026-09-02.",
    "date_parsing": "Enter a date, for example 2026-09-02.",
    "date_type": "Enter a date, for example 2026-09-02.",
    "datetime_from_date_parsing": "Enter a date and time.",
    "datetime_parsing": "Enter a date and time.",
    "datetime_type": "Enter a date and time.",
    "int_parsing": "Enter a whole number.",
    "bool_parsing": "Choose yes or no.",
    "bool_type": "Choose yes or no.",
    "too_long": "Too many entries here.",
}


def plain_message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    message = str(error.get("msg", "This is not valid.")).removeprefix("Value error, ")
    if kind == "value_error" and "email" in message.lower():
        return "Enter a valid email address, for example name@school.org."
    if kind in _PLAIN:
        try:
            return _PLAIN[kind].format(**(error.get("ctx") or {}))
        except (KeyError, IndexError):
            return _PLAIN[kind]
    return message[:1].upper() + message[1:]


def field_errors(exc: ValidationError, rename: Callable[[tuple[Any, ...]], str] | None = None) -> dict[str, str]:
    """{form field name: the first problem with it}; problems with the whole form go under FORM."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        name = rename(loc) if rename else ".".join(str(part) for part in loc)
        errors.setdefault(name or FORM, plain_message(dict(error)))
    return errors


def move_form_error(errors: dict[str, str], *, mentioning: str, to: str, message: str) -> None:
    """Puts an error about the whole form beside the field it is really about, in plain words."""
    if mentioning.lower() in errors.get(FORM, "").lower():
        del errors[FORM]
        errors.setdefault(to, message)


def text_values(form: FormData) -> dict[str, Any]:
    """The form's text fields as typed, to put back into the form; repeated fields become lists."""
    values: dict[str, Any] = {}
    for key in form:
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        if key == "csrf_token" or not items:
            continue
        values[key] = items if len(items) > 1 or key.endswith("[]") else items[0]
    return values


def optional(values: dict[str, Any], key: str) -> str | None:
    value = values.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def checked(form: FormData, key: str) -> list[str]:
    return [v for v in form.getlist(key) if isinstance(v, str) and v]


def uploaded(form: FormData, key: str) -> UploadFile | None:
    value = form.get(key)
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None
