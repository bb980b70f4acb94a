"""The consent text, versioned. A consent record keeps the version the person saw; old versions
stay here unchanged so that what someone agreed to can always be shown again.

Plain words for an ordinary employee: what is stored, why, how long, who sees what, how to stop.
``{years}`` and ``{days}`` are filled from the configured retention.
"""

from __future__ import annotations

from typing import Any

from suqiu_queue.domain.errors import Invalid

CURRENT_VERSION = "2026-1"

TEXTS: dict[str, dict[str, Any]] = {
    "2026-1": {
        "title": "刷脸调取本人记录 · 授权同意",
        "title_en": "Face recognition to find your own records: consent",
        "sections": [
            (
                "这是什么",
                "您可以选择用“刷脸”代替输入工号，让取号机更快找到您本人的来访记录和诉求办理进度。"
                "同不同意完全由您决定；不同意，照样可以取号、办理任何事项。",
            ),
            (
                "保存什么",
                "只保存由您面部计算出的一串数字（人脸特征模板），加密存放在本单位的服务器上。"
                "不保存您的照片，也不保存视频。",
            ),
            (
                "用来做什么",
                "只用于在本单位的职工诉求服务中心取号机上认出您，并在您确认“是本人”后显示您自己的记录。"
                "不用于考勤、监控或其他任何用途，也不提供给任何单位或个人。",
            ),
            (
                "保存多久",
                "从您最后一次来访算起保存{years}年（{days}天），期间没有来访就自动删除；您离开本单位后也会删除。",
            ),
            (
                "谁能看到什么",
                "人脸模板本身任何人都看不到。窗口工作人员只能看到您是通过“人脸识别”确认身份的，以及您的来访记录，"
                "和用工号识别时一样。每一次识别、每一次查看记录都会留下审计记录。",
            ),
            (
                "怎样撤回",
                "随时可以撤回：在取号机刷脸后点“撤回刷脸授权”，或输入工号和手机号后四位撤回，"
                "也可以到任一窗口请工作人员办理。撤回后，您的人脸模板立即删除。",
            ),
            (
                "登记要核实身份",
                "为防止别人冒用您的身份，登记时需要输入工号和手机号后四位，并由窗口工作人员当面核对后才生效。",
            ),
        ],
        "sections_en": [
            (
                "What this is",
                "You may choose to use your face instead of typing your staff number, so the kiosk finds your own visits and cases faster. It is entirely your choice; without it you can still take a ticket and get any help.",
            ),
            (
                "What is stored",
                "Only a set of numbers computed from your face (a face template), encrypted on your employer's server. No photo and no video is kept.",
            ),
            (
                "What it is used for",
                "Only to recognise you at this enterprise's service-center kiosks and, after you confirm it is you, show your own records. Never for attendance, surveillance or anything else, and never given to anyone.",
            ),
            (
                "How long",
                "{years} years ({days} days) after your last visit; without a visit in that time it is deleted automatically, and also when you leave the enterprise.",
            ),
            (
                "Who sees what",
                "Nobody can see the template itself. Reception officers see that you were recognised by face and your visit history, as with your staff number. Every recognition and every look at your records is logged.",
            ),
            (
                "How to withdraw",
                "At any time: tap 'withdraw' after the kiosk recognises you, or enter your staff number and the last four digits of your phone, or ask at any counter. Your template is deleted at once.",
            ),
            (
                "Identity check",
                "To stop anyone enrolling as you, you enter your staff number and the last four digits of your phone, and an officer confirms you in person before it takes effect.",
            ),
        ],
        "accept": "我同意",
        "decline": "不同意",
    }
}


def consent_text(version: str, retention_days: int) -> dict[str, Any]:
    text = TEXTS.get(version)
    if text is None:
        raise Invalid("consent_version_unknown", "授权说明的版本不正确", f"Unknown consent text version {version!r}")
    years = max(1, round(retention_days / 365))
    fill = {"years": years, "days": retention_days}
    return {
        "version": version,
        "current": version == CURRENT_VERSION,
        "title": text["title"],
        "title_en": text["title_en"],
        "sections": [{"heading": h, "body": b.format(**fill)} for h, b in text["sections"]],
        "sections_en": [{"heading": h, "body": b.format(**fill)} for h, b in text["sections_en"]],
        "accept": text["accept"],
        "decline": text["decline"],
        "retention_days": retention_days,
    }
