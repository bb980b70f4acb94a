"""``/t/<token>``: the small page the QR code on a ticket opens on the visitor's phone.

Server-rendered HTML with inline CSS and a meta refresh (no build step, no script), plus the
same facts as JSON at ``/api/v1/t/<token>``. Public: the token is the credential, so nothing
on either is personal. Every dynamic value goes through ``html.escape``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, JSONResponse

from suqiu_queue.domain.errors import NotFound

from ..context import Ctx, get_ctx
from ..security import PUBLIC, Principal, access
from . import service

# No prefix: the page lives at /t/<token> so the printed QR code stays short.
router = APIRouter(tags=["ticket status page"])

NO_STORE = {
    "Cache-Control": "no-store, max-age=0",
    "Pragma": "no-cache",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
PAGE_HEADERS = NO_STORE | {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
}

STYLE = """
*{box-sizing:border-box}
body{margin:0;font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;
background:#f3f5f7;color:#1f2933;line-height:1.6;-webkit-text-size-adjust:100%}
main{max-width:30rem;margin:0 auto;padding:1.25rem 1rem 2rem}
header{font-size:1rem;color:#52606d;text-align:center;margin-bottom:1rem}
.card{background:#fff;border-radius:1rem;padding:1.5rem 1.25rem;box-shadow:0 1px 4px rgba(0,0,0,.08);text-align:center}
.label{font-size:.95rem;color:#52606d}
.number{font-size:4rem;font-weight:700;letter-spacing:.05em;line-height:1.1;margin:.25rem 0 .5rem}
.category{font-size:1.1rem;color:#3e4c59}
.status{margin-top:1.25rem;padding:1rem;border-radius:.75rem;font-size:1.6rem;font-weight:700}
.wait{background:#e8f1fb;color:#1d4f91}.go{background:#e3f6ea;color:#146c2e}
.done{background:#eef0f2;color:#3e4c59}.muted{background:#fdf1e6;color:#8a4b0f}
.advice{font-size:1.15rem;margin:1rem 0 0}
dl{display:flex;justify-content:space-around;margin:1.25rem 0 0}
dt{font-size:.9rem;color:#52606d}dd{margin:0;font-size:1.6rem;font-weight:700}
footer{margin-top:1.25rem;font-size:.85rem;color:#7b8794;text-align:center}
"""


def _page(title: str, body: str, refresh: int | None) -> str:
    meta_refresh = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="robots" content="noindex,nofollow">{meta_refresh}'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def render_status(s: dict[str, Any]) -> str:
    figures = ""
    if s["people_ahead"] is not None:
        figures = (
            "<dl>"
            f"<div><dt>前面等候</dt><dd>{escape(str(s['people_ahead']))} 人</dd></div>"
            f"<div><dt>预计等候</dt><dd>约 {escape(str(s['estimated_wait_minutes']))} 分钟</dd></div>"
            "</dl>"
        )
    refresh_note = f"本页每 {s['refresh_seconds']} 秒自动刷新" if s["refresh_seconds"] else "本页不再自动刷新"
    body = (
        f"<header>{escape(s['center_name'])}</header>"
        '<section class="card" role="status" aria-live="polite">'
        '<div class="label">您的号码</div>'
        f'<div class="number">{escape(s["display"])}</div>'
        f'<div class="category">{escape(s["category_name"])} · {escape(s["issued_at_local"])} 取号</div>'
        f'<div class="status {escape(s["tone"])}">{escape(s["status_text"])}</div>'
        f'<p class="advice">{escape(s["advice"])}</p>'
        f"{figures}"
        "</section>"
        f"<footer>更新于 {escape(s['updated_at_local'])} · {escape(refresh_note)}<br>"
        "请以现场叫号为准 · 本页不显示任何个人信息</footer>"
    )
    return _page(f"{s['display']} {s['status_text']} - {s['center_name']}", body, s["refresh_seconds"])


def render_not_found() -> str:
    body = (
        "<header>职工诉求服务中心</header>"
        '<section class="card" role="status">'
        '<div class="status muted">没有找到这张号票</div>'
        '<p class="advice">链接可能不完整，或号票已经过期。请重新扫描号票上的二维码；'
        "如需帮助，请到服务台咨询工作人员。</p>"
        "</section>"
    )
    return _page("没有找到这张号票", body, None)


# ``:path`` so that a mangled link with slashes in it still gets the calm page, not a JSON error.
@router.get("/t/{token:path}", response_class=HTMLResponse, include_in_schema=False)
def status_page(token: str, ctx: Ctx = Depends(get_ctx), _p: Principal | None = access(PUBLIC)) -> HTMLResponse:
    with ctx.read() as session:
        ticket = service.find_ticket(session, token)
        if ticket is None:
            return HTMLResponse(render_not_found(), status_code=404, headers=PAGE_HEADERS)
        status = service.public_status(session, ticket, ctx.now())
    return HTMLResponse(render_status(status), headers=PAGE_HEADERS)


@router.get("/api/v1/t/{token}")
def status_json(token: str, ctx: Ctx = Depends(get_ctx), _p: Principal | None = access(PUBLIC)) -> JSONResponse:
    with ctx.read() as session:
        ticket = service.find_ticket(session, token)
        if ticket is None:
            raise NotFound("ticket_not_found", "没有找到这张号票", "No ticket with this status link")
        status = service.public_status(session, ticket, ctx.now())
    return JSONResponse(status, headers=NO_STORE)
