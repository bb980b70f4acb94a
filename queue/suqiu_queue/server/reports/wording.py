"""What the HTML and PDF reports say: titles, number formats, trend words and the notes on method.

One place, so the two renderings of a report never disagree about what a figure means.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

TITLE = "职工诉求服务报告"
MARKING = "内部资料 · 注意保密"

TREND_WORDS = {
    "up": "↑ 上升",
    "down": "↓ 下降",
    "flat": "→ 持平",
    "new": "新出现",
    "gone": "本期未出现",
    "none": "—",
}
SCORE_LABELS = {"1": "1分 很不满意", "2": "2分 不满意", "3": "3分 基本满意", "4": "4分 满意", "5": "5分 非常满意"}

NOTES = (
    "受理：本期新受理的诉求事项；“已办结”指目前处于反馈、评价或归档环节的事项。",
    "按时答复率：本期答复的事项中，在办结时限（没有办结时限的按答复时限）之前答复的比例；"
    "没有时限的事项单独计数，不计入按时。按时响应率：首次分流或答复在首次响应时限（或受理时限）之前的比例。",
    "逾期未办结：统计截止时已超过最终时限、但尚未答复的事项。",
    "办理时长：从受理到答复的自然时间（含夜间和节假日），P90 表示 90% 的事项不超过该时长。",
    "等候时长：取号到叫号；服务时长：叫号到办结（仅统计办结的号票）。",
    "满意度：本期收到的评价，3–5 分计为满意（含基本满意）；同一事项重新办理后以最新评价为准。",
    "自助解决：职工在自助终端查看常见问题答案后选择“已解决”的次数。",
    "热点话题：由本期诉求摘要自动提取关键词并按共同出现聚类，不含保密事项和心理关爱类事项；"
    "只出现在极少数诉求中的词（如人名）不会列出。",
    "时间均按本中心所在时区计算。",
)


def compare_word(kind: str) -> str:
    return "较上年" if kind == "year" else "较上月"


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def percent(rate: float | None, digits: int = 1) -> str:
    return "—" if rate is None else f"{rate * 100:.{digits}f}%"


def minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f} 分钟"


def duration(seconds: float | None) -> str:
    """Handling times run from hours to weeks: hours below two days, days above."""
    if seconds is None:
        return "—"
    hours = seconds / 3600
    return f"{hours:.1f} 小时" if hours < 48 else f"{hours / 24:.1f} 天"


def score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} 分"


def change(current: int, previous: int) -> str:
    """ "+12.5%" / "-3.0%" / "新增" / "持平" against the previous period's figure."""
    if previous == 0:
        return "新增" if current else "持平"
    delta = (current - previous) / previous
    return "持平" if delta == 0 else f"{delta * 100:+.1f}%"


def trend_word(item: dict[str, Any]) -> str:
    word = TREND_WORDS.get(str(item.get("trend")), "—")
    value = item.get("change")
    if item.get("trend") in ("up", "down", "flat") and value is not None:
        return f"{word} {value * 100:+.0f}%"
    return word


def org_unit_heading(cases: dict[str, Any]) -> str:
    shown, total = len(cases["by_org_unit"]), cases["org_units_total"]
    if shown < total:
        return f"按职工所在单位（前 {shown} 个，共 {total} 个）"
    return f"按职工所在单位（共 {total} 个）"


def subtitle(report: dict[str, Any]) -> str:
    period = report["period"]
    last_day = date.fromisoformat(period["end"]) - timedelta(days=1)
    status = "" if period["complete"] else "（本期尚未结束，统计至生成时）"
    return f"统计期间：{period['start']} 至 {last_day.isoformat()}{status} · 生成于 {report['generated_at_local']}"


def headline(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The five figures at the top: (label, value, remark)."""
    kind = report["period"]["kind"]
    cases, sla, queue = report["cases"], report["sla"], report["queue"]
    sat, faq = report["satisfaction"], report["faq"]
    return [
        (
            "受理诉求",
            count(cases["received"]),
            f"{compare_word(kind)} {change(cases['received'], cases['previous_received'])}",
        ),
        (
            "按时答复率",
            percent(sla["on_time_rate"]),
            f"答复 {count(sla['answered'])} 件，逾期未办结 {count(sla['overdue_open'])} 件",
        ),
        (
            "平均等候",
            minutes(queue["wait"]["mean_seconds"]),
            f"P90 {minutes(queue['wait']['p90_seconds'])}，取号 {count(queue['tickets'])} 张",
        ),
        ("满意度", percent(sat["satisfied_rate"]), f"评价 {count(sat['ratings'])} 条，平均 {score(sat['mean_score'])}"),
        (
            "自助解决",
            count(faq["resolved"]),
            f"{compare_word(kind)} {change(faq['resolved'], faq['previous_resolved'])}",
        ),
    ]
