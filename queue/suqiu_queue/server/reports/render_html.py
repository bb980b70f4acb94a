"""The report as one self-contained HTML page (for supervisors in the front desk or a browser).

Charts are bars drawn with table cells of proportional width — no script, no SVG, no external
file — so the page renders the same in a browser and in Qt's rich-text widgets (QTextBrowser
understands tables, percentage widths and cell colours, not SVG or flexbox). Every value that
comes from the database goes through :func:`html.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from . import tables, wording

PRIMARY = "#2f6fb3"
SECONDARY = "#a9c4e4"
GOOD = "#2e8b57"
WARN = "#c0392b"

STYLE = """
body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;
color:#1f2933;background:#fff;margin:0;padding:16px 24px;line-height:1.5;font-size:14px}
h1{font-size:22px;margin:4px 0}h2{font-size:17px;margin:24px 0 8px;padding-bottom:4px;border-bottom:2px solid #2f6fb3}
h3{font-size:15px;margin:14px 0 6px}
.sub{color:#52606d;font-size:12px}.marking{color:#c0392b;font-size:12px;float:right}
table{border-collapse:collapse}
table.data{width:100%;margin:4px 0 8px}
table.data th{background:#eef2f7;text-align:left;font-weight:bold;padding:4px 6px;border-bottom:1px solid #cbd2d9}
table.data td{padding:4px 6px;border-bottom:1px solid #e4e7eb}
td.num,th.num{text-align:right;white-space:nowrap}
table.kpi{width:100%;margin:8px 0}
table.kpi td{border:1px solid #d9e2ec;padding:8px 10px;vertical-align:top;width:20%}
.kpi-label{color:#52606d;font-size:12px}.kpi-value{font-size:22px;font-weight:bold;color:#1d4f91}
.kpi-note{color:#52606d;font-size:11px}
table.bars{width:100%;margin:4px 0 8px}
table.bars td{padding:2px 4px;font-size:13px}
td.bar-label{width:28%;white-space:nowrap}td.bar-value{width:16%;text-align:right;white-space:nowrap}
table.track{width:100%}table.track td{padding:0;height:10px;font-size:1px}
table.track.thin td{height:5px}
.legend{font-size:12px;color:#52606d}
.notes{font-size:12px;color:#52606d}
"""


def _e(value: Any) -> str:
    return escape(str(value))


def _bars(
    rows: Sequence[tuple[str, float, str]],
    *,
    color: str = PRIMARY,
    compare: Sequence[float] | None = None,
    compare_color: str = SECONDARY,
) -> str:
    """Horizontal bars: (label, value, shown text); ``compare`` draws a thin second bar under each."""
    if not rows:
        return '<p class="sub">本期无数据</p>'
    top = max([v for _l, v, _t in rows] + list(compare or [0])) or 1
    out = ['<table class="bars">']
    for index, (label, value, text) in enumerate(rows):
        track = _track(value / top, color)
        if compare is not None:
            track += _track(compare[index] / top, compare_color, thin=True)
        out.append(
            f'<tr><td class="bar-label">{_e(label)}</td><td>{track}</td><td class="bar-value">{_e(text)}</td></tr>'
        )
    out.append("</table>")
    return "".join(out)


def _track(fraction: float, color: str, *, thin: bool = False) -> str:
    percent = max(0, min(100, round(fraction * 100)))
    kind = "track thin" if thin else "track"
    if percent == 0:
        return f'<table class="{kind}"><tr><td>&nbsp;</td></tr></table>'
    rest = f'<td width="{100 - percent}%">&nbsp;</td>' if percent < 100 else ""
    return (
        f'<table class="{kind}"><tr><td width="{percent}%" bgcolor="{color}" style="background:{color}">&nbsp;</td>'
        f"{rest}</tr></table>"
    )


def _table(table: tables.Table) -> str:
    headers, rows, numeric_from = table
    if not rows:
        return '<p class="sub">本期无数据</p>'
    head = "".join(
        f'<th class="num">{_e(h)}</th>' if i >= numeric_from else f"<th>{_e(h)}</th>" for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_e(c)}</td>' if i >= numeric_from else f"<td>{_e(c)}</td>" for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f'<table class="data"><tr>{head}</tr>{"".join(body)}</table>'


def _legend(current: str, previous: str) -> str:
    return (
        f'<p class="legend"><span style="color:{PRIMARY}">■</span> {_e(current)}　'
        f'<span style="color:{SECONDARY}">■</span> {_e(previous)}</p>'
    )


# --- sections ------------------------------------------------------------------------------------


def _headline(report: dict[str, Any]) -> str:
    cells = "".join(
        f'<td><div class="kpi-label">{_e(label)}</div><div class="kpi-value">{_e(value)}</div>'
        f'<div class="kpi-note">{_e(note)}</div></td>'
        for label, value, note in wording.headline(report)
    )
    return f'<table class="kpi"><tr>{cells}</tr></table>'


def _cases(report: dict[str, Any]) -> str:
    cases, period = report["cases"], report["period"]
    unit_word = "每月" if period["kind"] == "year" else "每日"
    trend = report["trend"]
    parts = [
        "<h2>一、诉求受理</h2>",
        f"<p>本期受理诉求 <b>{_e(wording.count(cases['received']))}</b> 件"
        f"（{_e(period['previous_label'])} {_e(wording.count(cases['previous_received']))} 件，"
        f"{_e(wording.change(cases['received'], cases['previous_received']))}），目前已办结 "
        f"{_e(wording.count(cases['closed']))} 件（{_e(wording.percent(cases['closed_rate']))}），"
        f"其中重复诉求 {_e(wording.count(cases['repeats']))} 件。</p>",
        f"<h3>{_e(unit_word)}受理量与取号量</h3>",
        _legend("受理诉求", "取号"),
        _bars(
            [(t["label"], t["cases"], f"{t['cases']} 件 / {t['tickets']} 张") for t in trend],
            compare=[t["tickets"] for t in trend],
        ),
        "<h3>按业务类别</h3>",
        _legend(period["label"], period["previous_label"]),
        _bars(
            [(c["name"], c["count"], f"{c['count']} 件") for c in cases["by_category"]],
            compare=[c["previous"] for c in cases["by_category"]],
        ),
        _table(tables.cases_by_category(report)),
        "<h3>按渠道</h3>",
        _bars([(c["name"], c["count"], f"{c['count']} 件") for c in cases["by_channel"]]),
        "<h3>按二级单位</h3>",
        _bars([(u["name"], u["count"], f"{u['count']} 件") for u in cases["by_second_level_unit"][:12]]),
        f"<h3>{_e(wording.org_unit_heading(cases))}</h3>",
        _table(tables.cases_by_org_unit(report)),
    ]
    return "".join(parts)


def _sla(report: dict[str, Any]) -> str:
    sla = report["sla"]
    rows = tables.sla_categories(report)
    return "".join(
        [
            "<h2>二、办理时限与效率</h2>",
            f"<p>本期答复 <b>{_e(wording.count(sla['answered']))}</b> 件，其中有时限的 "
            f"{_e(wording.count(sla['answered_with_deadline']))} 件，按时 {_e(wording.count(sla['answered_on_time']))} 件，"
            f"按时答复率 <b>{_e(wording.percent(sla['on_time_rate']))}</b>；按时响应率 "
            f"{_e(wording.percent(sla['response_on_time_rate']))}；统计截止时逾期未办结 "
            f"<b>{_e(wording.count(sla['overdue_open']))}</b> 件。办理时长平均 "
            f"{_e(wording.duration(sla['handling']['mean_seconds']))}，P90 "
            f"{_e(wording.duration(sla['handling']['p90_seconds']))}。</p>",
            "<h3>各类别按时答复率</h3>",
            _bars(
                [
                    (c["name"], c["on_time_rate"] or 0, wording.percent(c["on_time_rate"]))
                    for c in rows
                    if c["answered_with_deadline"]
                ],
                color=GOOD,
            ),
            _table(tables.sla_by_category(report)),
        ]
    )


def _queue(report: dict[str, Any]) -> str:
    queue = report["queue"]
    rows = tables.queue_categories(report)
    return "".join(
        [
            "<h2>三、排队等候</h2>",
            f"<p>本期取号 <b>{_e(wording.count(queue['tickets']))}</b> 张，办结 {_e(wording.count(queue['done']))} 张，"
            f"过号 {_e(wording.count(queue['no_show']))} 张。等候时长平均 <b>{_e(wording.minutes(queue['wait']['mean_seconds']))}</b>，"
            f"P90 {_e(wording.minutes(queue['wait']['p90_seconds']))}；服务时长平均 "
            f"{_e(wording.minutes(queue['service']['mean_seconds']))}，P90 "
            f"{_e(wording.minutes(queue['service']['p90_seconds']))}。</p>",
            "<h3>各类别平均等候</h3>",
            _legend("平均等候", "P90 等候"),
            _bars(
                [
                    (c["name"], (c["wait"]["mean_seconds"] or 0) / 60, wording.minutes(c["wait"]["mean_seconds"]))
                    for c in rows
                ],
                compare=[(c["wait"]["p90_seconds"] or 0) / 60 for c in rows],
            ),
            _table(tables.queue_by_category(report)),
        ]
    )


def _satisfaction(report: dict[str, Any]) -> str:
    sat = report["satisfaction"]
    previous = sat["previous"]
    distribution = sat["distribution"]
    return "".join(
        [
            "<h2>四、满意度</h2>",
            f"<p>本期收到评价 <b>{_e(wording.count(sat['ratings']))}</b> 条，满意度 "
            f"<b>{_e(wording.percent(sat['satisfied_rate']))}</b>，平均 {_e(wording.score(sat['mean_score']))}"
            f"（{_e(report['period']['previous_label'])}：满意度 {_e(wording.percent(previous['satisfied_rate']))}，"
            f"{_e(wording.count(previous['ratings']))} 条）。</p>",
            _bars(
                [
                    (
                        wording.SCORE_LABELS[s],
                        distribution[s],
                        f"{distribution[s]} 条",
                    )
                    for s in ("5", "4", "3", "2", "1")
                ],
                color=GOOD,
            ),
            _table(tables.satisfaction_by_category(report)),
        ]
    )


def _faq(report: dict[str, Any]) -> str:
    faq = report["faq"]
    return "".join(
        [
            "<h2>五、自助服务</h2>",
            f"<p>职工在自助终端查看常见问题 <b>{_e(wording.count(faq['viewed']))}</b> 次，其中表示“已解决” "
            f"<b>{_e(wording.count(faq['resolved']))}</b> 次、“未解决” {_e(wording.count(faq['not_resolved']))} 次，"
            f"自助解决率 {_e(wording.percent(faq['resolved_rate']))}。</p>",
            _bars([(c["name"], c["resolved"], f"{c['resolved']} 次") for c in faq["by_category"]]),
            "<h3>解决最多的问题</h3>",
            _table(tables.faq_top(report)),
        ]
    )


def _topics(report: dict[str, Any]) -> str:
    found = report["topics"]
    period = report["period"]
    if not found["documents"]:
        return "<h2>六、热点话题</h2><p class='sub'>本期没有可分析的诉求摘要。</p>"
    keywords = found["keywords"][:15]
    return "".join(
        [
            "<h2>六、热点话题</h2>",
            f"<p>分析诉求摘要 {_e(wording.count(found['documents']))} 条"
            f"（{_e(period['previous_label'])} {_e(wording.count(found['previous_documents']))} 条）。</p>",
            "<h3>热点话题</h3>",
            _table(tables.hot_topics(report)),
            _topic_months(report),
            "<h3>高频关键词（含该词的诉求件数）</h3>",
            _legend(period["label"], period["previous_label"]),
            _bars(
                [(k["word"], k["documents"], f"{k['documents']}（{wording.trend_word(k)}）") for k in keywords],
                compare=[k["previous"] for k in keywords],
            ),
        ]
    )


def _topic_months(report: dict[str, Any]) -> str:
    """A year's topics month by month (a month's days hold too few cases each to be worth a table)."""
    found = report["topics"]
    if report["period"]["kind"] != "year" or not found["topics"]:
        return ""
    return "<h3>热点话题各月件数</h3>" + _table(tables.topic_months(report))


def _notes() -> str:
    items = "".join(f"<li>{_e(n)}</li>" for n in wording.NOTES)
    return f'<h2>统计口径</h2><ol class="notes">{items}</ol>'


def render_html(report: dict[str, Any]) -> str:
    center, period = report["center"], report["period"]
    title = f"{center['name']} {period['label']}{wording.TITLE}"
    body = "".join(
        [
            f'<div class="marking">{_e(wording.MARKING)}</div>',
            f'<div class="sub">{_e(center["name"])}</div>',
            f"<h1>{_e(period['label'])}{_e(wording.TITLE)}</h1>",
            f'<div class="sub">{_e(wording.subtitle(report))}</div>',
            _headline(report),
            _cases(report),
            _sla(report),
            _queue(report),
            _satisfaction(report),
            _faq(report),
            _topics(report),
            _notes(),
        ]
    )
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex,nofollow">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )
