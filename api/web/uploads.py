"""The pages' upload forms: each kind of file's size limit in words, and a form page for a body refused as too large.

The limits themselves are settings (``Settings.upload_limit``). A form states its limit, the browser
checks the chosen file against it before sending (api/static/upload-limits.js), the page's handler
checks it again, and a body far over it is refused before the handler runs: ``refused_upload_scope``
turns that refusal into the form page itself, saying what happened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.types import Scope

from registry.core.settings import Settings, UploadKind, size_words

# Above a kind's limit, what a form's other fields and the multipart framing may add.
FORM_OVERHEAD_BYTES = 1024 * 1024
REFUSED_UPLOAD = "refused_upload"  # request.state key: (kind, limit) of a body refused before the page ran

KIND_WORDS: dict[UploadKind, str] = {
    "photo": "A photo",
    "album": "An album (all its photos together, or its zip)",
    "scan": "A scan of a consent form",
    "reference_photo": "A reference photo",
    "roster": "A roster file",
}
CHOOSE_AGAIN: dict[UploadKind, str] = {
    "photo": "Choose a smaller copy of the photo (a phone's “share” or “export” can make one) and fill in the form "
    "again.",
    "album": "Choose fewer photos, or split the zip into smaller ones, and fill in the form again.",
    "scan": "Scan the form again at a lower resolution, or as a JPEG, and fill in the form again.",
    "reference_photo": "Choose a smaller copy of the photo and send it again.",
    "roster": "Split the roster into smaller files and import them one after the other.",
}


def limit_words(settings: Settings) -> dict[str, str]:
    """{kind: "30 MB"} for the templates' hints."""
    return {kind: size_words(settings.upload_limit(kind)) for kind in KIND_WORDS}


def too_large(settings: Settings, kind: UploadKind, *, size: int | None = None) -> str:
    """Why a file was refused as too large, and what to do, in plain words."""
    limit = size_words(settings.upload_limit(kind))
    chosen = f"The file you chose is {size_words(size)}. " if size is not None else ""
    return f"{chosen}{KIND_WORDS[kind]} may be up to {limit}. {CHOOSE_AGAIN[kind]}"


@dataclass(frozen=True)
class UploadForm:
    """A page's upload form: where it is posted, the kind of file it takes, and the page showing the form."""

    posted_to: re.Pattern[str]
    kind: UploadKind
    form_page: str  # formatted with the posted path's groups

    def limit(self, settings: Settings) -> int:
        return settings.upload_limit(self.kind) + FORM_OVERHEAD_BYTES


UPLOAD_FORMS = (
    UploadForm(re.compile(r"/clearances/new"), "photo", "/clearances/new"),
    UploadForm(re.compile(r"/albums/new"), "album", "/albums/new"),
    UploadForm(re.compile(r"/people/(\d+)/consents/new"), "scan", "/people/{0}/consents/new"),
    UploadForm(re.compile(r"/people/(\d+)/faces/preview"), "reference_photo", "/people/{0}"),
    UploadForm(re.compile(r"/roster"), "roster", "/roster"),
)


def upload_form(path: str) -> tuple[UploadForm, str] | None:
    """The upload form posted to this path, and the path of the page that shows it."""
    for form in UPLOAD_FORMS:
        match = form.posted_to.fullmatch(path)
        if match:
            return form, form.form_page.format(*match.groups())
    return None


def refused_upload_scope(scope: Scope, *, form: UploadForm, form_page: str, limit: int) -> Scope:
    """The request for the form's page, marked with the refusal: nothing of the refused body is read."""
    headers = [(k, v) for k, v in scope.get("headers") or [] if k not in (b"content-type", b"content-length")]
    state = {**scope.get("state", {}), REFUSED_UPLOAD: (form.kind, limit)}
    return {
        **scope,
        "method": "GET",
        "path": form_page,
        "raw_path": form_page.encode(),
        "query_string": b"",
        "headers": headers,
        "state": state,
    }


def refused_upload_message(settings: Settings, refused: object) -> str | None:
    """The notice the form's page shows after its upload was refused before the page ran."""
    if not isinstance(refused, tuple):
        return None
    kind, _limit = refused
    return "Nothing was received: what you sent was too large. " + too_large(settings, kind)
