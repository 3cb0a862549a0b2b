"""Domain errors with a message a person can act on. The API maps each to its status code."""

from __future__ import annotations


class RegistryError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(RegistryError):
    status_code = 404


class Conflict(RegistryError):
    status_code = 409


class Invalid(RegistryError):
    status_code = 422


class Forbidden(RegistryError):
    status_code = 403


class TooLarge(RegistryError):
    status_code = 413


class UnsupportedMedia(RegistryError):
    status_code = 415


class Busy(RegistryError):
    """The service has as much of this work in hand as it takes at once: ask again after `retry_after` seconds."""

    status_code = 503

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
