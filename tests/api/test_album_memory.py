"""An album upload's memory does not grow with the album: each zip member goes to disk, or to a bucket, in chunks."""

from __future__ import annotations

import pytest

from tests.api.memory_probe import peak_growth

SETUP = """
import io, zipfile, zlib
from pathlib import Path
import tempfile
from fastapi.testclient import TestClient
from api.main import create_app
from registry.core.db import make_engine
from registry.core.migrate import upgrade
from tests.api.album_helpers import add_account, album_settings

folder = Path(tempfile.mkdtemp())
engine = make_engine(f"sqlite:///{folder / 'albums.db'}")
upgrade(engine)
settings = album_settings(folder).model_copy(update={"analysis_processes": 1})
coach = add_account(engine, settings, "employee", "coach@district.example.org")
archive = io.BytesIO()
member = b"\\xff\\xd8\\xff" + bytes(MEMBER_MB * 1024 * 1024 - 3)  # a JPEG's first bytes, then zeros
with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for n in range(MEMBERS):
        z.writestr(f"IMG_{n:04}.jpg", member)
body = archive.getvalue()
del member
app = create_app(settings, bind=engine)
client = TestClient(app)  # not started: no album runner, so only the upload is measured
"""

WORK = """
response = client.post("/api/v1/clearances/batch", headers=coach, data={"destination": "personal_social_media",
                       "context_kind": "sporting_event", "context_public": "true"},
                       files={"zip": ("game.zip", body, "application/zip")})
stored = sorted(p.stat().st_size for p in settings.uploads_dir.iterdir())
result = (response.status_code, response.json()["total"], len(stored), stored[0])
"""


def _upload(members: int, member_mb: int) -> tuple[int, str]:
    return peak_growth(SETUP.replace("MEMBERS", str(members)).replace("MEMBER_MB", str(member_mb)), WORK)


@pytest.mark.slow
def test_a_40_member_zip_is_kept_with_bounded_memory():
    growth, result = _upload(40, 25)  # 1 GiB unpacked, about 1 MiB zipped
    assert result == f"(202, 40, 40, {25 * 1024 * 1024})"
    assert growth < 120, f"a 40-member album upload raised memory by {growth} MiB"


def test_a_zip_sent_to_a_bucket_is_kept_with_bounded_memory(s3_url):
    # The photos go up in parts from a temporary file each (the endpoint and keys reach the child process
    # through the environment); the client is made before the measurement, as a running service has it.
    on_bucket = (
        SETUP.replace(
            'update={"analysis_processes": 1}', f'update={{"analysis_processes": 1, "storage_url": "{s3_url}"}}'
        )
        + "\nfrom registry.core.storage import storage_for\nstorage_for(settings).check()\n"
    )
    work = WORK.replace(
        "sorted(p.stat().st_size for p in settings.uploads_dir.iterdir())",
        'sorted(e.size for e in storage_for(settings).entries("uploads/"))',
    )
    growth, result = peak_growth(on_bucket.replace("MEMBERS", "10").replace("MEMBER_MB", "25"), work)
    assert result == f"(202, 10, 10, {25 * 1024 * 1024})"  # 250 MiB kept
    assert growth < 120, f"a 10-member album upload to a bucket raised memory by {growth} MiB"
