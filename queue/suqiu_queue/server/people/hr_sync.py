"""Syncing employees from the enterprise HR directory over HTTP (``suqiu people sync``).

Every page is fetched first, then all records are checked like a CSV import, then written at
once in the caller's transaction: a network failure, a malformed page or one bad record leaves
the database exactly as it was. Nothing touches the database until the last page has arrived,
so no write lock is held while waiting on the network.

HR systems differ in their JSON; an adapter (``HrAdapter``) turns one page of theirs into our
records and the address of the next page. ``DefaultHrAdapter`` reads the shape documented in
docs/people.md; another system needs only a small class with ``parse_page``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from sqlalchemy.orm import Session

from suqiu_queue.domain.errors import SuqiuError

from ..audit.service import record
from ..db import utcnow
from .importing import (
    FIELDS,
    ApplyCounts,
    ImportFailed,
    RowError,
    announce,
    apply_records,
    raw_records,
    validate_records,
)

# (connect, read) seconds. An HR directory that has not answered a page in a minute is down.
DEFAULT_TIMEOUT = (5.0, 60.0)
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 1.0  # seconds before the first retry; doubles each time
MAX_PAGES = 10_000
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class HrSyncError(SuqiuError):
    """The sync was abandoned and nothing was written. ``errors`` lists bad records, if that was why."""

    status = 502

    def __init__(self, message: str, message_en: str, *, errors: list[RowError] | None = None) -> None:
        self.errors = errors or []
        super().__init__(
            "hr_sync_failed",
            message,
            message_en,
            details={"rows": [e.as_dict() for e in self.errors[:1000]], "total": len(self.errors)},
        )

    def __str__(self) -> str:
        lines = [f"{self.message} ({self.message_en})"]
        lines += [
            f"  第 {e.line} 条记录" + (f"（工号 {e.employee_no}）" if e.employee_no else "") + f"：{e.message}"
            for e in self.errors[:50]
        ]
        if len(self.errors) > 50:
            lines.append(f"  …… 另有 {len(self.errors) - 50} 处错误")
        return "\n".join(lines)


# --- adapters ----------------------------------------------------------------------------------------


class HrPage(NamedTuple):
    """One page: records keyed by our field names, and where the next page is (None: last page)."""

    records: list[dict[str, Any]]
    next_url: str | None


class HrAdapter(Protocol):
    """Turns one page of an HR system's JSON into our records.

    Records are dicts with any of the keys ``employee_no``, ``name``, ``org_unit`` (unit code or
    unique full name), ``birth_date``, ``phone``, ``hire_date`` (text as in the CSV import) and
    ``active`` (bool). A key left out keeps what we have; ``None`` clears it. Raise ``ValueError``
    when the page is not what you expect: the sync stops and writes nothing.
    """

    def parse_page(self, payload: Any, page_url: str) -> HrPage: ...


class DefaultHrAdapter:
    """The documented shape (docs/people.md)::

        {"employees": [{"employee_no": "100001", "name": "王伟", "org_unit": "HX-PWR-01",
                        "birth_date": "1985-04-12", "phone": "13912345678",
                        "hire_date": "2008-07-01", "active": true}, ...],
         "next": "/hr/api/employees?page=2"}

    Paging: ``next`` (absolute or relative; null or absent on the last page), or else ``page``
    and ``pages`` (1-based): the next page is the same address with ``page`` set to page + 1.
    """

    record_keys = (*FIELDS, "active")

    def parse_page(self, payload: Any, page_url: str) -> HrPage:
        if not isinstance(payload, dict):
            raise ValueError("the page is not a JSON object")
        items = payload.get("employees")
        if not isinstance(items, list):
            raise ValueError('the page has no "employees" list')
        records = []
        for position, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise ValueError(f"employees[{position - 1}] is not an object")
            records.append({key: item[key] for key in self.record_keys if key in item})
        return HrPage(records, self._next_url(payload, page_url))

    @staticmethod
    def _next_url(payload: dict[str, Any], page_url: str) -> str | None:
        if "next" in payload:
            link = payload["next"]
            if link is None or link == "":
                return None
            if not isinstance(link, str):
                raise ValueError('"next" is not a link')
            return urljoin(page_url, link)
        page, pages = payload.get("page"), payload.get("pages")
        if isinstance(page, int) and isinstance(pages, int) and not isinstance(page, bool):
            return with_query(page_url, page=page + 1) if page < pages else None
        return None


def with_query(url: str, **params: Any) -> str:
    """``url`` with these query parameters set (others kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


# --- fetching ----------------------------------------------------------------------------------------


@dataclass
class FetchedDirectory:
    records: list[dict[str, Any]]
    pages: int


def fetch_directory(
    url: str,
    *,
    token: str | None = None,
    adapter: HrAdapter | None = None,
    http: requests.Session | None = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
    max_pages: int = MAX_PAGES,
) -> FetchedDirectory:
    """Every record of the directory, page after page. Raises HrSyncError."""
    adapter = adapter or DefaultHrAdapter()
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    origin = _origin(url)
    own_session = http is None
    http = http or requests.Session()
    records: list[dict[str, Any]] = []
    visited: set[str] = set()
    next_url: str | None = url
    try:
        while next_url is not None:
            if next_url in visited:
                raise HrSyncError(
                    f"人事目录的分页链接回到了已取过的页（第 {len(visited)} 页之后），已停止",
                    "The HR directory's paging loops back to a page already fetched",
                )
            if len(visited) >= max_pages:
                raise HrSyncError(
                    f"人事目录超过 {max_pages} 页，已停止", f"The HR directory has more than {max_pages} pages"
                )
            if _origin(next_url) != origin:
                # The token is for the HR server only; never send it wherever a page points.
                raise HrSyncError(
                    "人事目录的下一页地址指向另一台服务器，为保护访问令牌已停止",
                    "The next-page link points to another server; stopped to protect the token",
                )
            visited.add(next_url)
            payload = _get_json(http, next_url, headers, timeout, retries, backoff, sleep)
            try:
                page = adapter.parse_page(payload, next_url)
            except (ValueError, KeyError, TypeError) as exc:
                raise HrSyncError(
                    f"人事目录第 {len(visited)} 页的数据格式不对：{exc}",
                    f"Page {len(visited)} of the HR directory is not in the expected shape: {exc}",
                ) from exc
            records += page.records
            next_url = page.next_url
    finally:
        if own_session:
            http.close()
    return FetchedDirectory(records, len(visited))


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _where(url: str) -> str:
    """The address without query or user:password, which may carry a secret: safe for messages and the audit log."""
    parts = urlsplit(url)
    if not parts.hostname:
        return "(无效地址 invalid address)"
    host = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
    return urlunsplit((parts.scheme, host, parts.path, "", ""))[:300]


def _get_json(
    http: requests.Session,
    url: str,
    headers: Mapping[str, str],
    timeout: float | tuple[float, float],
    retries: int,
    backoff: float,
    sleep: Callable[[float], None],
) -> Any:
    """GET one page, retrying connection errors, timeouts and 5xx with exponential backoff."""
    problem = ""
    for attempt in range(retries + 1):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        try:
            response = http.get(url, headers=dict(headers), timeout=timeout)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            problem = type(exc).__name__
            continue
        except requests.RequestException as exc:  # a malformed address: retrying will not help
            raise HrSyncError(f"人事目录地址无效：{_where(url)}", f"Invalid HR directory address: {exc}") from exc
        if response.status_code in RETRY_STATUSES:
            problem = f"HTTP {response.status_code}"
            response.close()
            continue
        if response.status_code in (401, 403):
            raise HrSyncError(
                f"人事目录拒绝访问（HTTP {response.status_code}），请检查访问令牌",
                f"The HR directory refused access (HTTP {response.status_code}); check the token",
            )
        if response.status_code != 200:
            raise HrSyncError(
                f"人事目录返回了错误（HTTP {response.status_code}）：{_where(url)}",
                f"The HR directory answered HTTP {response.status_code} for {_where(url)}",
            )
        try:
            return response.json()
        except ValueError as exc:
            raise HrSyncError(
                f"人事目录返回的不是有效的 JSON：{_where(url)}",
                f"The HR directory did not return valid JSON for {_where(url)}",
            ) from exc
    raise HrSyncError(
        f"无法从人事目录取得数据（{problem}，已重试 {retries} 次）：{_where(url)}",
        f"Could not fetch the HR directory ({problem}, retried {retries} times): {_where(url)}",
    )


# --- syncing -----------------------------------------------------------------------------------------


@dataclass
class SyncReport(ApplyCounts):
    records: int = 0
    pages: int = 0


def sync_from_http(
    session: Session,
    url: str,
    *,
    token: str | None = None,
    actor: str,
    deactivate_missing: bool = False,
    adapter: HrAdapter | None = None,
    http: requests.Session | None = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
    today: date | None = None,
) -> SyncReport:
    """Fetch the whole directory, check it, and apply it all or nothing. Raises HrSyncError.

    With ``deactivate_missing``, active employees the directory no longer lists are marked
    inactive (never deleted: their tickets, cases and audit trail stay).
    """
    directory = fetch_directory(
        url,
        token=token,
        adapter=adapter,
        http=http,
        timeout=timeout,
        retries=retries,
        backoff=backoff,
        sleep=sleep,
    )
    if deactivate_missing and not directory.records:
        # An empty answer is far more likely a broken HR query than everyone having left.
        raise HrSyncError(
            "人事目录没有返回任何职工：为防止误将全部职工停用，本次同步已取消",
            "The HR directory returned no employees; refusing to deactivate everyone",
        )
    try:
        records = validate_records(session, raw_records(directory.records), today=today or utcnow().date(), what="条")
    except ImportFailed as exc:
        raise HrSyncError(
            f"人事目录数据有 {len(exc.errors)} 处错误，未写入任何数据",
            f"The HR directory has {len(exc.errors)} invalid record(s); nothing was written",
            errors=exc.errors,
        ) from exc
    counts = apply_records(session, records, source="hr_sync", deactivate_missing=deactivate_missing)
    report = SyncReport(**counts.as_dict(), records=len(records), pages=directory.pages)
    where = _where(url)
    record(
        session,
        actor=actor,
        action="employee.hr_sync",
        subject=f"hr:{urlsplit(url).hostname or ''}"[:128],
        detail={
            "source": where,
            "pages": report.pages,
            "records": report.records,
            "deactivate_missing": deactivate_missing,
            **counts.as_dict(),
        },
    )
    announce(session, counts, source="hr_sync")
    return report
