"""What the report's tables hold: headers, rows of formatted figures, and where the figures start.

The HTML page and the PDF lay a table out differently (cells and CSS against reportlab paragraphs
and column widths), but the columns and what each cell says must be the same in both: they are
built here once, and each renderer only draws them.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from . import wording


class Table(NamedTuple):
    headers: list[str]
    rows: list[list[str]]
    numeric_from: int = 1  # columns from here on are figures (right-aligned)


def sla_categories(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The categories with anything to say about time limits this period."""
    rows = report["sla"]["by_category"]
    return [c for c in rows if c["answered"] or c["overdue_open"] or c["responded_with_deadline"]]


def queue_categories(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The categories that issued tickets this period."""
    return [c for c in report["queue"]["by_category"] if c["tickets"]]


def cases_by_category(report: dict[str, Any]) -> Table:
    return Table(
        ["业务类别", "受理", "已办结", "办结率", report["period"]["previous_label"], "变化"],
        [
            [
                c["name"],
                wording.count(c["count"]),
                wording.count(c["closed"]),
                wording.percent(c["closed_rate"]),
                wording.count(c["previous"]),
                wording.change(c["count"], c["previous"]),
            ]
            for c in report["cases"]["by_category"]
        ],
    )


def cases_by_org_unit(report: dict[str, Any], *, count_header: str = "受理") -> Table:
    return Table(
        ["单位", "上级单位", count_header],
        [[u["name"], u["parent"] or "—", wording.count(u["count"])] for u in report["cases"]["by_org_unit"]],
        numeric_from=2,
    )


def sla_by_category(report: dict[str, Any]) -> Table:
    return Table(
        ["业务类别", "答复", "按时率", "按时响应率", "逾期未办结", "平均办理", "P90 办理"],
        [
            [
                c["name"],
                wording.count(c["answered"]),
                wording.percent(c["on_time_rate"]),
                wording.percent(c["response_on_time_rate"]),
                wording.count(c["overdue_open"]),
                wording.duration(c["handling"]["mean_seconds"]),
                wording.duration(c["handling"]["p90_seconds"]),
            ]
            for c in sla_categories(report)
        ],
    )


def queue_by_category(report: dict[str, Any]) -> Table:
    return Table(
        ["业务类别", "取号", "办结", "过号", "平均等候", "P90 等候", "平均服务", "P90 服务"],
        [
            [
                c["name"],
                wording.count(c["tickets"]),
                wording.count(c["done"]),
                wording.count(c["no_show"]),
                wording.minutes(c["wait"]["mean_seconds"]),
                wording.minutes(c["wait"]["p90_seconds"]),
                wording.minutes(c["service"]["mean_seconds"]),
                wording.minutes(c["service"]["p90_seconds"]),
            ]
            for c in queue_categories(report)
        ],
    )


def satisfaction_by_category(report: dict[str, Any], *, count_header: str = "评价") -> Table:
    return Table(
        ["业务类别", count_header, "满意度", "平均分"],
        [
            [
                c["name"],
                wording.count(c["ratings"]),
                wording.percent(c["satisfied_rate"]),
                wording.score(c["mean_score"]),
            ]
            for c in report["satisfaction"]["by_category"]
        ],
    )


def faq_top(report: dict[str, Any]) -> Table:
    return Table(
        ["问题", "类别", "查看", "已解决"],
        [
            [t["question"], t["category"], wording.count(t["viewed"]), wording.count(t["resolved"])]
            for t in report["faq"]["top"]
        ],
        numeric_from=2,
    )


def hot_topics(report: dict[str, Any]) -> Table:
    return Table(
        ["话题", "关键词", "件数", "占比", report["period"]["previous_label"], "趋势"],
        [
            [
                t["label"],
                "、".join(t["keywords"]),
                wording.count(t["documents"]),
                wording.percent(t["share"]),
                wording.count(t["previous"]),
                wording.trend_word(t),
            ]
            for t in report["topics"]["topics"]
        ],
        numeric_from=2,
    )


def topic_months(report: dict[str, Any], *, limit: int = 6) -> Table:
    """The leading topics month by month (for a year's report)."""
    labels = [t["label"] for t in report["trend"]]
    return Table(
        ["话题", *labels],
        [[t["label"], *(wording.count(v) for v in t["series"])] for t in report["topics"]["topics"][:limit]],
    )
