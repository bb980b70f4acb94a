"""``/t/<token>``: the small page the QR code on a ticket opens on the visitor's phone.

Server-rendered HTML with inline CSS and a meta refresh (no build step, no script), plus the
same facts as JSON at ``/api/v1/t/<token>``. Public: the token is the credential, so nothing
on either is personal. Every dynamic value goes through ``html.escape``.

When the ticket led to a case, the page also shows where it stands; once it is answered (反馈), the
answer and a 1–5 star form (``POST /t/<token>/rate``), and after an unsatisfied rating 申请复核
(``POST /t/<token>/review``). Plain HTML forms, no script. Cross-site forgery is kept out twice:
a forged form would need the ticket's unguessable token (it is in the path), and the browser's
own word on where the form came from (``Sec-Fetch-Site``, else ``Origin``/``Referer``) must say
this site. Each POST answers with a redirect back to the page (no resubmission on reload).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from suqiu_queue.domain.errors import NotFound, SuqiuError
from suqiu_queue.domain.lifecycle import CaseAction

from ..cases.config import for_app
from ..context import Ctx, get_ctx
from ..security import PUBLIC, Principal, access
from ..tickets.models import Ticket
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
# ``same-origin`` rather than ``no-referrer``: the token still never leaves this site (the page has
# no outside links), but a browser told "no-referrer" sends ``Origin: null`` with the rating form,
# which would make a form posted from the page itself look cross-site.
PAGE_HEADERS = NO_STORE | {
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
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
.case{margin-top:1rem;text-align:left}
.case h2{font-size:1.05rem;font-weight:600;color:#52606d;margin:0}
.case .status{text-align:center}
.thanks{background:#e3f6ea;color:#146c2e;border-radius:.75rem;padding:.75rem 1rem;margin:0 0 1rem;font-size:1.15rem;text-align:center}
.reply{white-space:pre-wrap;word-break:break-word;background:#f8f9fa;border-left:.3rem solid #1d4f91;
border-radius:.5rem;padding:.75rem 1rem;margin:.75rem 0 0;font-size:1.1rem}
.meta{font-size:.9rem;color:#52606d;margin:.75rem 0 0}
label.meta{display:block;margin-top:1rem}
fieldset{border:0;padding:0;margin:1rem 0 0}
legend{font-size:1.1rem;font-weight:600;margin-bottom:.5rem}
.stars{display:flex;flex-direction:column;gap:.5rem}
.stars label{display:flex;align-items:center;gap:.75rem;border:2px solid #cbd2d9;border-radius:.75rem;
padding:.6rem .9rem;font-size:1.15rem;cursor:pointer}
.stars input{width:1.4rem;height:1.4rem;margin:0}
.stars .glyph{color:#d69e2e;letter-spacing:.1em;min-width:6.5rem}
.stars label:has(input:checked){border-color:#1d4f91;background:#e8f1fb}
textarea{width:100%;min-height:5.5rem;font:inherit;font-size:1.05rem;border:2px solid #cbd2d9;border-radius:.75rem;
padding:.6rem .75rem;margin-top:.25rem}
button{width:100%;margin-top:1rem;padding:.9rem;border:0;border-radius:.75rem;background:#1d4f91;color:#fff;
font:inherit;font-size:1.25rem;font-weight:700;cursor:pointer}
button.secondary{background:#8a4b0f}
a.back{display:block;margin-top:1rem;text-align:center;font-size:1.1rem;color:#1d4f91}
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


def _stars(score: int) -> str:
    return "★" * score + "☆" * (5 - score)


def _rating_form(token: str, c: dict[str, Any]) -> str:
    choices = "".join(
        f'<label><input type="radio" name="score" value="{n}" required>'
        f'<span class="glyph" aria-hidden="true">{_stars(n)}</span><span>{n} 星 · {escape(label)}</span></label>'
        for n, label in sorted(service.STAR_LABELS.items(), reverse=True)
    )
    return (
        f'<form method="post" action="/t/{escape(quote(token))}/rate">'
        f'<input type="hidden" name="case_id" value="{int(c["case_id"])}">'
        f'<fieldset><legend>您对这次答复满意吗？</legend><div class="stars">{choices}</div></fieldset>'
        f'<label class="meta" for="comment-{int(c["case_id"])}">想说的话（选填）</label>'
        f'<textarea id="comment-{int(c["case_id"])}" name="comment" maxlength="{service.MAX_COMMENT}" '
        'placeholder="例如：答复清楚，办理及时；或者还有哪里不满意"></textarea>'
        '<button type="submit">提交评价</button></form>'
    )


def _review_form(token: str, c: dict[str, Any]) -> str:
    if c["review"] == CaseAction.REOPEN.value:
        explain = "如果您对答复不满意，可以申请复核：诉求会重新办理，工作人员会再与您联系。"
    else:
        explain = "这项诉求已经重新办理过。如果仍不满意，可以申请复核，诉求将提交由职工代表参加的“民事民议”共同评议。"
    return (
        f'<form method="post" action="/t/{escape(quote(token))}/review">'
        f'<input type="hidden" name="case_id" value="{int(c["case_id"])}">'
        f'<p class="advice">{escape(explain)}</p>'
        f'<label class="meta" for="review-{int(c["case_id"])}">哪里不满意（选填）</label>'
        f'<textarea id="review-{int(c["case_id"])}" name="reason" maxlength="{service.MAX_COMMENT}"></textarea>'
        '<button type="submit" class="secondary">申请复核</button></form>'
    )


THANKS = {"rated": "感谢您的评价！", "review": "复核申请已提交，我们会尽快重新办理。"}


def _state_agrees(done: str, c: dict[str, Any]) -> bool:
    """A forged ``?done=`` link cannot thank anyone for a rating that was never given."""
    if done == "rated":
        return c["score"] is not None
    return done == "review" and c["state"] in ("routed", "in_progress")


def render_case(token: str, c: dict[str, Any], done: tuple[str, int] | None) -> str:
    tone = {"answered": "go", "rated": "done", "archived": "done"}.get(c["state"], "wait")
    parts = [
        f'<section class="card case" id="case-{int(c["case_id"])}">',
        f"<h2>诉求事项 {escape(c['reference'])} · {escape(c['category_name'])}</h2>",
    ]
    if done is not None and done[1] == c["case_id"] and _state_agrees(done[0], c):
        parts.append(f'<p class="thanks" role="status">{escape(THANKS[done[0]])}</p>')
    parts.append(f'<div class="status {tone}">{escape(c["headline"])}</div>')
    parts.append(f'<p class="advice">{escape(c["advice"])}</p>')
    if c["reply"] is not None:
        when = f"{c['answered_on']}答复" if c["answered_on"] else "答复"
        outcome = f" · {c['outcome_label']}" if c["outcome_label"] else ""
        parts.append(f'<p class="meta">{escape(when + outcome)}</p><div class="reply">{escape(c["reply"])}</div>')
    elif c["reply_withheld"]:
        parts.append('<p class="meta">为保护您的隐私，本页不显示答复内容；答复已由工作人员告知您本人。</p>')
    if c["score"]:
        parts.append(
            f'<p class="meta">您的评价：<span class="glyph">{_stars(int(c["score"]))}</span> '
            f"{escape(c['score_label'] or '')}</p>"
        )
    if c["can_rate"]:
        parts.append(_rating_form(token, c))
    elif c["review"]:
        parts.append(_review_form(token, c))
    parts.append("</section>")
    return "".join(parts)


def render_status(
    s: dict[str, Any],
    cases: Sequence[dict[str, Any]] = (),
    token: str = "",
    done: tuple[str, int] | None = None,
) -> str:
    figures = ""
    if s["people_ahead"] is not None:
        figures = (
            "<dl>"
            f"<div><dt>前面等候</dt><dd>{escape(str(s['people_ahead']))} 人</dd></div>"
            f"<div><dt>预计等候</dt><dd>约 {escape(str(s['estimated_wait_minutes']))} 分钟</dd></div>"
            "</dl>"
        )
    # A form on the page stops the refresh: reloading would throw away what the person is typing.
    has_form = any(c["can_rate"] or c["review"] for c in cases)
    refresh = None if has_form else s["refresh_seconds"]
    refresh_note = f"本页每 {refresh} 秒自动刷新" if refresh else "本页不再自动刷新"
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
        + "".join(render_case(token, c, done) for c in cases)
        + f"<footer>更新于 {escape(s['updated_at_local'])} · {escape(refresh_note)}<br>"
        "请以现场叫号为准 · 本页不显示姓名、工号等个人信息</footer>"
    )
    return _page(f"{s['display']} {s['status_text']} - {s['center_name']}", body, refresh)


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


def render_message(token: str | None, title: str, text: str) -> str:
    """A calm page for a form that could not be taken (wrong moment, missing stars, foreign site)."""
    back = f'<a class="back" href="/t/{escape(quote(token))}">返回号票页面</a>' if token else ""
    body = (
        "<header>职工诉求服务中心</header>"
        '<section class="card" role="status">'
        f'<div class="status muted">{escape(title)}</div>'
        f'<p class="advice">{escape(text)}</p>{back}'
        "</section>"
    )
    return _page(title, body, None)


def _host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def same_origin(request: Request) -> bool:
    """Did the browser post this form from this site? Its own verdict first (``Sec-Fetch-Site``,
    which no page can forge and which a reverse proxy does not change), else ``Origin``, else
    ``Referer`` against the host asked for. Without any of them it is not a browser (a script
    holding the token may rate through the API anyway), so the token alone decides."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    own = (request.headers.get("x-forwarded-host") or request.headers.get("host") or "").split(",")[0].strip().lower()
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and _host_of(origin) == own
    referer = request.headers.get("referer")
    if referer:
        return _host_of(referer) == own
    return True


def _case_id(raw: str | None) -> int | None:
    return int(raw) if raw and raw.strip().isdigit() and len(raw.strip()) < 12 else None


def _calm(token: str | None, exc: SuqiuError) -> HTMLResponse:
    titles = {404: "没有找到", 409: "暂时不能提交", 422: "请再看一下"}
    return HTMLResponse(
        render_message(token, titles.get(exc.status, "暂时不能提交"), exc.message),
        status_code=exc.status,
        headers=PAGE_HEADERS,
    )


def _refuse_foreign(token: str) -> HTMLResponse:
    return HTMLResponse(
        render_message(token, "请在号票页面上提交", "为了您的安全，请扫描号票上的二维码，在打开的页面上评价。"),
        status_code=403,
        headers=PAGE_HEADERS,
    )


def _back_to_page(token: str, done: str, case_id: int) -> RedirectResponse:
    # 303: the browser follows with a GET, so reloading the result never posts the form again.
    location = f"/t/{quote(token)}?done={done}&case={case_id}#case-{case_id}"
    return RedirectResponse(location, status_code=303, headers=NO_STORE)


def _form_post(token: str, request: Request, ctx: Ctx, done: str, act: Callable[[Session, Ticket], int]) -> Response:
    """A form posted from the ticket's own page: ``act(session, ticket)`` in one transaction, returning
    the id of the case it acted on; then back to the page (or a calm page saying why not)."""
    if not same_origin(request):
        return _refuse_foreign(token)
    try:
        with ctx.tx() as session:
            ticket = service.find_ticket(session, token)
            if ticket is None:
                return HTMLResponse(render_not_found(), status_code=404, headers=PAGE_HEADERS)
            case_id = act(session, ticket)
    except SuqiuError as exc:  # raised inside the transaction: nothing of it was stored
        return _calm(token, exc)
    return _back_to_page(token, done, case_id)


@router.post("/t/{token}/rate", include_in_schema=False)
def rate_on_page(
    token: str,
    request: Request,
    score: str | None = Form(default=None),
    comment: str | None = Form(default=None),
    case_id: str | None = Form(default=None),
    ctx: Ctx = Depends(get_ctx),
    _p: Principal | None = access(PUBLIC),
) -> Response:
    """评价 from the status page: the same rule as ``POST /cases/rate-by-token`` (channel ``qr``)."""

    def rate(session: Session, ticket: Ticket) -> int:
        case = service.rate_from_page(
            session,
            ticket,
            case_id=_case_id(case_id),
            score=service.parse_score(score),
            comment=comment,
            now=ctx.now(),
            config=for_app(ctx.request.app.state),
        )
        return case.id

    return _form_post(token, request, ctx, "rated", rate)


@router.post("/t/{token}/review", include_in_schema=False)
def review_on_page(
    token: str,
    request: Request,
    reason: str | None = Form(default=None),
    case_id: str | None = Form(default=None),
    ctx: Ctx = Depends(get_ctx),
    _p: Principal | None = access(PUBLIC),
) -> Response:
    """申请复核 after an unsatisfied rating: 重新办理 while allowed, then the 民事民议 review."""

    def review(session: Session, ticket: Ticket) -> int:
        reviewed, _action = service.request_review(
            session,
            ticket,
            case_id=_case_id(case_id),
            text=reason,
            now=ctx.now(),
            config=for_app(ctx.request.app.state),
        )
        return reviewed.id

    return _form_post(token, request, ctx, "review", review)


# ``:path`` so that a mangled link with slashes in it still gets the calm page, not a JSON error.
@router.get("/t/{token:path}", response_class=HTMLResponse, include_in_schema=False)
def status_page(
    token: str,
    done: str | None = None,
    case: str | None = None,
    ctx: Ctx = Depends(get_ctx),
    _p: Principal | None = access(PUBLIC),
) -> HTMLResponse:
    with ctx.read() as session:
        ticket = service.find_ticket(session, token)
        if ticket is None:
            return HTMLResponse(render_not_found(), status_code=404, headers=PAGE_HEADERS)
        status = service.public_status(session, ticket, ctx.now())
        cases = service.case_sections(session, ticket)
    # ``done`` only picks one of two fixed thank-you lines, and only where the case's state agrees.
    case_id = _case_id(case)
    thanks = (done, case_id) if done in THANKS and case_id is not None else None
    return HTMLResponse(render_status(status, cases, token, thanks), headers=PAGE_HEADERS)


@router.get("/api/v1/t/{token}")
def status_json(token: str, ctx: Ctx = Depends(get_ctx), _p: Principal | None = access(PUBLIC)) -> JSONResponse:
    with ctx.read() as session:
        ticket = service.find_ticket(session, token)
        if ticket is None:
            raise NotFound("ticket_not_found", "没有找到这张号票", "No ticket with this status link")
        status = service.public_status(session, ticket, ctx.now())
    return JSONResponse(status, headers=NO_STORE)
