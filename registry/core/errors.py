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
