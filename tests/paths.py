"""Where the tests find the repository and its test photos (tests/data/faces: source and licence in its README)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACES = ROOT / "tests" / "data" / "faces"
