"""The service's one Settings object, read once from the environment."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

FaceRecognition = Literal["on", "off", "staff_only"]
UploadKind = Literal["photo", "album", "scan", "reference_photo", "roster"]
DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused outside development


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    environment: str = Field("development", description="development, test or production")
    data_dir: Path = Field(Path("data"), description="where the database, scans and uploads live")
    storage_url: str | None = Field(
        None,
        description="what holds photos and scans: file:///folder or s3://bucket/prefix; the data folder when unset",
    )
    database_url: str | None = Field(
        None,
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; a SQLite file under data_dir when unset",
    )
    secret_key: str = DEVELOPMENT_SECRET
    access_token_minutes: int = Field(30, ge=1, le=24 * 60)
    # One size limit per kind of file; forms state it (size_words) and browsers check it before sending.
    max_evidence_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="a consent form's scan")
    scan_check_cpu_seconds: int = Field(
        10,
        ge=1,
        le=600,
        description="processor time one scan's check may take (in its own process) before it is refused",
    )
    max_upload_bytes: int = Field(30 * 1024 * 1024, ge=1024, description="a photo to clear (also each album photo)")
    max_reference_photo_bytes: int = Field(30 * 1024 * 1024, ge=1024, description="a reference photo to enrol")
    max_roster_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="a roster CSV file")
    max_pixels: int = Field(40_000_000, ge=10_000)
    max_decode_bytes: int = Field(
        512 * 1024 * 1024,
        ge=1024 * 1024,
        description="memory one photo may take while it is decoded and checked; a photo that needs more is refused",
    )
    detect_max_side: int = Field(1600, ge=320, description="measured in benchmarks/faces.py")
    match_threshold: float = Field(0.5, gt=0, lt=1)
    review_threshold: float = Field(0.6, gt=0, lt=1)
    min_margin: float = Field(0.06, ge=0, lt=1)
    min_face_px: int = Field(40, ge=1)
    recognisable_face_px: int = Field(
        80,
        ge=0,
        description="a face under this size that matches nobody is 'too small to recognise' (review), not unknown",
    )
    harder_search_seconds: float = Field(60.0, gt=0, description="the closer look's harder search, at most")
    harder_search_max_pixels: int = Field(24_000_000, ge=10_000, description="larger photos go to review")
    event_time_margin_minutes: int = Field(120, ge=0)
    repeat_upload_minutes: int = Field(
        10,
        ge=0,
        le=24 * 60,
        description="the same photo sent again by the same account for the same question within this many minutes "
        "answers with the clearance already made (a second tap, a retried request); 0: every upload is checked anew",
    )
    repeat_upload_wait_seconds: float = Field(
        180.0,
        gt=0,
        le=3600,
        description="the same upload sent while the first is still being checked (by any service process) waits at "
        "most this long for its clearance; a claim older than this, whose process died, is taken over",
    )
    policy_pack: str = Field("litchfield-4118.51", description="built-in pack id or a path to a pack")
    time_zone: str = Field(
        "America/New_York", description="the district's time zone: its calendar day is 'today' for every consent"
    )
    expiry_scan_at: str = Field(
        "02:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="the district's time of day (HH:MM) of the daily re-check of posted photos",
    )
    retention_days: int = Field(30, ge=1)
    face_recognition: FaceRecognition = Field(
        "on",
        description="on: enrolled faces are recognised; off: faces are found, never encoded or compared, and "
        "people name them; staff_only: only employees with a written biometric consent are recognised",
    )
    biometric_retention_years: int = Field(
        1, ge=1, le=3, description="a face template is deleted this many years after the person's last interaction"
    )
    login_max_failures: int = Field(5, ge=1)
    login_lockout_minutes: int = Field(15, ge=1)
    # Counted in the database, so shared by every worker and every host (see api/ratelimit.py); 0 turns a limit off.
    rate_limit_window_seconds: int = Field(60, ge=1)
    rate_limit_sign_in_per_client: int = Field(30, ge=0, description="sign-ins per window from one address")
    rate_limit_sign_in_per_account: int = Field(10, ge=0, description="sign-ins per window naming one account")
    rate_limit_uploads_per_client: int = Field(120, ge=0, description="uploads per window from one address")
    rate_limit_uploads_per_account: int = Field(60, ge=0, description="uploads per window by one account")
    trusted_proxies: str = Field(
        "",
        description="addresses or networks of the proxies in front of the service, comma-separated "
        "(10.0.0.5,10.1.0.0/16): only a request from one of them may name its client in X-Forwarded-For; "
        "empty: none, every request's client is the address it comes from",
    )
    session_https_only: bool | None = Field(
        None, description="web sign-in cookie sent over HTTPS only; unset: yes in production, no elsewhere"
    )
    analysis_processes: int = Field(0, ge=0, le=256, description="face-engine worker processes; 0: one per core")
    # Where faces are read (registry/analysis/): in this service's own pool, or by `registry worker` processes.
    analysis: Literal["local", "external"] = Field(
        "local",
        description="local: this service's worker pool; external: queue jobs for `registry worker` (PostgreSQL)",
    )
    analysis_wait_seconds: float = Field(
        20.0,
        gt=0,
        le=600,
        description="external: how long a request waits for a worker's result; a photo to clear then stays queued",
    )
    worker_heartbeat_seconds: float = Field(
        5.0, gt=0, le=300, description="a worker's heartbeat; silent for three of them, its job goes to another"
    )
    # Photo checks in a request have a lane of their own (api/lanes.py): nothing else waits behind them.
    photo_checks_at_once: int = Field(
        0, ge=0, le=16, description="photos read in requests at once, per service process; 0: one more than the workers"
    )
    photo_checks_per_account: int = Field(
        4, ge=1, le=16, description="one account's photos being read or waiting in requests at once"
    )
    photo_check_wait_seconds: float = Field(
        10.0, gt=0, le=120, description="longest a photo waits for its turn in a request; past it, it is queued"
    )
    # Families sign online (registry/consent_requests/): their private links, the date-of-birth check, e-mail.
    public_url: str = Field(
        "http://localhost:8000", description="the service's address as families reach it: links, letters, e-mails"
    )
    family_link_days: int = Field(30, ge=1, le=400, description="days a family's private link stays open")
    family_birth_date_tries: int = Field(
        5, ge=1, le=50, description="wrong dates of birth on one link before it is held for family_lock_minutes"
    )
    family_lock_minutes: int = Field(15, ge=1, le=24 * 60)
    rate_limit_birth_date_per_client: int = Field(
        20, ge=0, description="dates of birth and short codes tried per window from one address"
    )
    family_forms_dir: Path | None = Field(
        None, description="the district's own form texts (<kind>.<language>.txt); the built-in texts otherwise"
    )
    smtp_url: str | None = Field(
        None, description="smtp://user:password@host:port (smtps:// for TLS, ?starttls=1): e-mail to families"
    )
    mail_from: str = Field("consent-registry@localhost", description="the From address of e-mail to families")
    max_album_photos: int = Field(1000, ge=1, description="photos in one album upload (files or zip members)")
    max_album_bytes: int = Field(
        4 * 1024**3, ge=1024, description="one album upload (its photos or its zip), zips counted uncompressed"
    )

    @model_validator(mode="after")
    def _refuse_default_secret_outside_development(self) -> Settings:
        if self.environment not in ("development", "test") and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError(
                "REGISTRY_SECRET_KEY must be set to a long random value outside development "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"REGISTRY_TIME_ZONE {self.time_zone!r} is not a time zone name (for example America/New_York)"
            ) from None
        try:
            self.trusted_networks  # noqa: B018 - read once here so that a mistake stops the start
        except ValueError as exc:
            raise ValueError(f"REGISTRY_TRUSTED_PROXIES: {exc} (addresses or networks, comma-separated)") from None
        if self.review_threshold < self.match_threshold:
            raise ValueError("REGISTRY_REVIEW_THRESHOLD must be at least REGISTRY_MATCH_THRESHOLD")
        if self.storage_url and not self.storage_url.startswith(("file://", "s3://")):
            raise ValueError("REGISTRY_STORAGE_URL must be file:///folder or s3://bucket/prefix")
        return self

    def upload_limit(self, kind: UploadKind) -> int:
        """The size limit of one kind of uploaded file, in bytes."""
        return {
            "photo": self.max_upload_bytes,
            "album": self.max_album_bytes,
            "scan": self.max_evidence_bytes,
            "reference_photo": self.max_reference_photo_bytes,
            "roster": self.max_roster_bytes,
        }[kind]

    @property
    def trusted_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """The proxies whose X-Forwarded-For is believed (REGISTRY_TRUSTED_PROXIES)."""
        return tuple(ip_network(part.strip(), strict=False) for part in self.trusted_proxies.split(",") if part.strip())

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgres://"):
                url = "postgresql://" + url[len("postgres://") :]
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.data_dir / 'registry.db').resolve()}"

    @property
    def session_cookie_secure(self) -> bool:
        if self.session_https_only is not None:
            return self.session_https_only
        return self.environment == "production"

    # The folders of the default store (storage_for with no storage_url): the service reads and writes
    # them through registry/core/storage.py only; tests and the copy to a bucket name them.
    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def held_photos_dir(self) -> Path:
        """Photos kept for a few minutes after their form came back with a mistake (api/web/held_photos.py)."""
        return self.data_dir / "held-photos"

    @property
    def enrol_previews_dir(self) -> Path:
        """Reference photos kept only while office staff decide whether to save the face found."""
        return self.data_dir / "enrol-previews"


def size_words(size: int) -> str:
    """A size limit as people say it: "30 MB", "4 GB", "1.5 MB" (1 MB = 1024 × 1024 bytes)."""
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            amount = size / factor  # rounded down: a limit is never stated larger than it is
            if amount == int(amount) or amount >= 10:
                return f"{int(amount)} {unit}"
            return f"{int(amount * 10) / 10:.1f} {unit}"
    return f"{size} bytes"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def remember_secret_key(data_dir: Path) -> str:
    """The secret kept in the data folder, made once, so sign-ins survive a restart."""
    import os
    import secrets

    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
