"""Serving the built front end (web/dist): the console and portal SPAs, their assets, the widget
and its demo page.

The pages are plain files built by `make web`; the Python app only hands them out.
Hashed assets are cached for a year; the HTML shells and the widget's stable URL are
revalidated every time, so a new build reaches browsers at once. Without a build the
pages answer 503 with a hint instead of failing.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

DIST_DIR = Path(__file__).resolve().parents[3] / "web" / "dist"
HASHED_CACHE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

MISSING_BUILD = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>一问 Yiwen</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.6">
<h1>前端尚未构建 / The web front end is not built</h1>
<p>请在项目目录运行 <code>make web</code>（或 <code>make run</code>），然后刷新本页。</p>
<p>Run <code>make web</code> (or <code>make run</code>) in the project directory, then reload.</p>
<p>API 仍可使用：<a href="/docs">/docs</a></p>
</body></html>
"""


def static_router(dist: Path = DIST_DIR) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def page(name: str) -> Response:
        path = dist / name
        if not path.is_file():
            return HTMLResponse(MISSING_BUILD, status_code=503, headers={"Retry-After": "30"})
        return FileResponse(path, media_type="text/html", headers={"Cache-Control": REVALIDATE})

    @router.get("/")
    def home() -> RedirectResponse:
        return RedirectResponse("/portal/", status_code=302)

    @router.get("/console")
    @router.get("/console/{rest:path}")
    def console(rest: str = "") -> Response:
        return page("console.html")

    @router.get("/portal")
    @router.get("/portal/{rest:path}")
    def portal(rest: str = "") -> Response:
        return page("portal.html")

    @router.get("/help/articles/{article_id}")
    def help_article(article_id: str) -> RedirectResponse:
        """The address the bot and the help-center API give for an article (ARTICLE_URL)."""
        return RedirectResponse(f"/portal/articles/{quote(article_id, safe='')}", status_code=302)

    @router.get("/widget-demo")
    def widget_demo() -> Response:
        """A sample shop page carrying the widget's one script tag, as a shop would paste it."""
        return page("widget-demo.html")

    @router.get("/widget.js")
    def widget() -> Response:
        path = dist / "widget.js"
        if not path.is_file():
            return Response("/* web front end not built: run `make web` */", status_code=503)
        return FileResponse(
            path, media_type="text/javascript", headers={"Cache-Control": REVALIDATE}
        )

    @router.get("/assets/{name:path}")
    def asset(name: str) -> Response:
        base = (dist / "assets").resolve()
        path = (base / name).resolve()
        if not path.is_relative_to(base) or not path.is_file():
            return Response(status_code=404)
        return FileResponse(path, headers={"Cache-Control": HASHED_CACHE})

    return router


def install_static(app: FastAPI, dist: Path = DIST_DIR) -> None:
    """Mount the front end after the API routes (whose paths never collide with these)."""
    app.include_router(static_router(dist))
