"""The public board (阳光办理 看板): ``/board?center=C&key=sqk_…[&layout=wide]`` and its data.

The page and its CSS/JS are static files shipped in ``suqiu_assets/board`` (no build step) and are
public: they contain no data and never the key — the script reads the key from the address
itself. The data (``GET /api/v1/board/{center}``) and the event stream need the board's device
key or an officer's login: the snapshot lists masked names of people with open cases, which
belongs on the wall of the hall, not on the open network. Without a key the page falls back to
the waiting figures, which are public anyway (see docs/board.md for the reasoning).
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from suqiu_queue import __version__
from suqiu_queue.domain.enums import DeviceKind
from suqiu_queue.domain.errors import NotFound

from ..context import Ctx, get_ctx
from ..org.service import center_by_code
from ..security import ALL_OFFICERS, PUBLIC, Principal, access, require_center
from . import service

# No prefix: the page lives at /board so the address typed into the wall PC stays short.
router = APIRouter(tags=["board"])

ASSET_PACKAGE = "suqiu_assets.board"
ASSETS = {
    "board.html": "text/html; charset=utf-8",
    "board.css": "text/css; charset=utf-8",
    "board.js": "text/javascript; charset=utf-8",
}
# The key travels in the address: never let it leave in a Referer header, and never cache data.
COMMON_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
}
# 'self' only, no inline script: even a value that slipped past textContent could not run.
PAGE_HEADERS = COMMON_HEADERS | {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
}
DATA_HEADERS = COMMON_HEADERS | {"Cache-Control": "no-store, max-age=0"}


@cache
def _asset(name: str) -> bytes:
    return resources.files(ASSET_PACKAGE).joinpath(name).read_bytes()


@cache
def assets_version() -> str:
    """Changes whenever the page's files change: an open board reloads itself after an upgrade."""
    digest = hashlib.sha256(__version__.encode())
    for name in sorted(ASSETS):
        digest.update(_asset(name))
    return digest.hexdigest()[:16]


def _asset_response(name: str) -> Response:
    return Response(_asset(name), media_type=ASSETS[name], headers=PAGE_HEADERS)


@router.get("/board", include_in_schema=False)
def board_page(_p: Principal | None = access(PUBLIC)) -> Response:
    return _asset_response("board.html")


@router.get("/board/{name}", include_in_schema=False)
def board_asset(name: str, _p: Principal | None = access(PUBLIC)) -> Response:
    if name not in ASSETS:
        raise NotFound("board_asset_not_found", "没有这个文件", f"No board file named {name!r}")
    return _asset_response(name)


@router.get("/api/v1/board/{center_code}")
def board_snapshot(
    center_code: str,
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(f"device:{DeviceKind.BOARD}", *ALL_OFFICERS),
) -> JSONResponse:
    """Everything the wall shows, in one read: calls, waiting, public cases, month figures."""
    with ctx.read() as session:
        center = center_by_code(session, center_code)
        require_center(principal, center.id)
        data: dict[str, Any] = service.snapshot(session, center, ctx.now())
    data["assets_version"] = assets_version()
    return JSONResponse(data, headers=DATA_HEADERS)
