"""The API's documentation page, served with the service's own copy of Swagger UI: no CDN, no inline
script (the few lines that start it are in /static/docs.js).

The files come from the pinned ``fastapi-offline`` package (only its static folder is used: its own
pages start the viewers with inline scripts, which the Content-Security-Policy forbids). ReDoc is not
offered: its bundle fetches its logo from its maker's site.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
_HEAD = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Consent Registry API</title>
  <link rel="icon" href="{assets}/favicon.png">
"""
SWAGGER_PAGE = (
    _HEAD.format(assets=ASSETS)
    + f"""  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="/openapi.json"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="/static/docs.js"></script>
</body>
</html>
"""
)


def install_docs(app: FastAPI) -> None:
    """Create the app with ``docs_url=None, redoc_url=None``; this adds /docs and its files."""

    async def swagger_ui(_: Request) -> HTMLResponse:
        return HTMLResponse(SWAGGER_PAGE)

    app.add_route("/docs", swagger_ui, include_in_schema=False)  # a plain route, public, as FastAPI's own

    app.mount(ASSETS, StaticFiles(directory=str(files("fastapi_offline") / "static")), name="docs-assets")
