"""The access log never shows a family's private link: the token in /f/<token> is replaced before a line is written.

Uvicorn's access logger formats its line from the record's arguments (client, method, path, version, status);
the filter rewrites the path argument. Dates of birth travel in POST bodies, which no log records.
"""

from __future__ import annotations

import logging
import re

_PRIVATE_LINK = re.compile(r"^/f/[^/?#]+")


class HidePrivateLinks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], _PRIVATE_LINK.sub("/f/[private link]", args[2]), *args[3:])
        return True


def hide_private_links() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HidePrivateLinks) for f in logger.filters):
        logger.addFilter(HidePrivateLinks())
