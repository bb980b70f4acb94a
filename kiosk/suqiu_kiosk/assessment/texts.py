"""Every word of the self-assessment screens, Simplified Chinese first, English second.

The wording is calm and plain: no diagnosis, no alarm, no jargon. The result text itself (band,
kind words, next steps) comes from the server, which holds it with each scale.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "loading": ("正在准备测评题目……", "Preparing the questions…"),
    "load_failed": ("暂时无法打开测评，请稍后再试或到心理关爱窗口咨询。", "The self-assessment cannot open right now."),
    "retry": ("重试", "Try again"),
    # picking a scale
    "pick_title": ("心理测评", "Self-assessment"),
    "pick_hint": (
        "花几分钟了解一下自己最近的状态。题目没有对错，按真实感受选择就好。",
        "A few minutes to see how you have been. There are no right or wrong answers.",
    ),
    "default_title": ("推荐：情绪综合筛查", "Recommended: mood screening"),
    "default_detail": (
        "{names} · 共 {count} 题 · 约 {minutes} 分钟",
        "{names} · {count} questions · about {minutes} min",
    ),
    "scale_detail": ("共 {count} 题 · 约 {minutes} 分钟", "{count} questions · about {minutes} min"),
    "other_scales": ("也可以选择单项测评：", "Or choose one questionnaire:"),
    "leave": ("退出测评", "Leave"),
    # anonymous or linked
    "consent_title": ("请选择作答方式", "How would you like to take it?"),
    "anonymous_title": ("匿名作答", "Anonymous"),
    "anonymous_body": (
        "结果不与您的身份关联，工作人员看不到是谁。",
        "The result is not linked to you; staff cannot see who took it.",
    ),
    "anonymous_fit": ("适合：只想自己了解一下最近的状态。", "For: just checking how you are doing."),
    "linked_title": ("实名作答", "With my name"),
    "linked_body": (
        "心理咨询师可以看到结果并联系您，其他工作人员看不到。",
        "Counselors can see the result and contact you; other staff cannot.",
    ),
    "linked_fit": (
        "适合：希望心理老师跟进，或以后对比自己的变化。",
        "For: a counselor following up, or comparing over time.",
    ),
    "linked_needs_identity": (
        "需要先在首页登记工号，才能实名作答。",
        "Register your staff number on the home screen first.",
    ),
    "consent_note": (
        "无论选择哪种方式：如果您的回答显示您现在可能需要帮助，值班心理老师会收到提醒，来到现场关心您。"
        "本测评是自我了解，不是诊断。",
        "Either way: if your answers show you may need help now, the counselor on duty is told and will "
        "come to see you. This is a self-check, not a diagnosis.",
    ),
    "back": ("上一步", "Back"),
    # one question
    "progress": ("第 {n} 题 / 共 {total} 题", "Question {n} of {total}"),
    "answer_hint": ("点选一项后，会自动进入下一题", "Tap an answer to go on to the next question"),
    "previous": ("上一题", "Previous"),
    "read_aloud": ("朗读", "Read aloud"),
    "read_aloud_hint": ("朗读时周围的人可能听到", "People nearby may hear it"),
    "leave_confirm": (
        "确定要退出吗？已经填写的答案会全部清除，不会保存。",
        "Leave now? Your answers will be cleared and not saved.",
    ),
    "leave_yes": ("退出，不保存", "Leave, don't save"),
    "leave_no": ("继续作答", "Keep going"),
    "speech_choose": ("请选择：", "Choose: "),
    "speech_question": ("第{n}题。", "Question {n}. "),
    # handing in
    "submitting": ("正在生成结果，请稍候……", "Preparing your result…"),
    "submit_failed": ("暂时连不上服务器，结果还没有保存。", "The server cannot be reached; nothing is saved yet."),
    "submit_failed_hint": (
        "您可以重试，或退出（退出后答案会被清除）。",
        "You can try again, or leave (your answers are then cleared).",
    ),
    # the result
    "result_title": ("谢谢您完成测评", "Thank you for taking the time"),
    "result_note": (
        "以下是自我评估的参考，不是医学诊断。",
        "This is a self-check for your reference, not a medical diagnosis.",
    ),
    "result_band": ("自评参考：{band}", "Your self-check: {band}"),
    "next_steps": ("接下来可以：", "What you can do next:"),
    "saved_linked": (
        "本次结果已实名保存，只有心理咨询师能查看。",
        "Saved under your name; only counselors can see it.",
    ),
    "saved_anonymous": ("本次为匿名作答，结果不与您的身份关联。", "Taken anonymously; not linked to you."),
    "resources_title": ("心理关爱资源", "Support available"),
    "resource_place": (
        "到{place}和心理老师面对面聊一聊（免费、保密）",
        "Talk with a counselor at {place} (free, private)",
    ),
    "resource_hotline": ("全国心理援助热线 {number}（24 小时）", "National psychological aid line {number} (24 h)"),
    "resource_local": ("{name} {number}", "{name} {number}"),
    "talk_to_counselor": ("找心理老师聊聊", "Talk to a counselor"),
    "care_ticket_busy": ("正在取号……", "Getting your ticket…"),
    "done": ("完成", "Done"),
    # crisis
    "crisis_title": ("谢谢您的信任", "Thank you for telling us"),
    "crisis_counselor_named": ("{name}正在赶来", "{name} is on the way"),
    "crisis_counselor_default": ("值班心理咨询师正在赶来", "The counselor on duty is on the way"),
    "crisis_counselor_hint": ("请在这里稍坐片刻，老师会来找您。", "Please sit here for a moment; they will find you."),
    "crisis_hotline": ("全国心理援助热线", "National psychological aid line"),
    "crisis_hotline_hint": ("24 小时有人接听", "Answered day and night"),
    "crisis_emergency": ("如有紧急危险，请立即拨打 110 或 120", "In immediate danger, call 110 or 120 now"),
    "crisis_offline": (
        "如果老师没有很快过来，请告诉任何一位工作人员，他们会帮您联系。",
        "If no one comes soon, tell any member of staff; they will call a counselor.",
    ),
    "crisis_ticket": ("取心理关爱优先号", "Take a priority care ticket"),
    "crisis_ticket_hint": ("凭号优先接待，不用排队", "You will be seen first, no queue"),
    "crisis_ticket_busy": ("正在取号……", "Getting your ticket…"),
    "crisis_ticket_done": ("您的号码 {number}，老师会优先接待您。", "Your number is {number}; you will be seen first."),
    "crisis_ticket_failed": (
        "暂时没能取号，请直接告诉工作人员，或稍后再点一次。",
        "No ticket right now: please tell a member of staff, or tap again.",
    ),
    "crisis_done": ("我知道了", "OK"),
    # the person's own earlier results
    "mine_open": ("查看我以前的自测结果", "See my earlier results"),
    "mine_privacy_title": ("查看以前的自测结果", "Your earlier results"),
    "mine_privacy_notice": (
        "结果只显示在这块屏幕上，请留意身边是否有人。",
        "The results are shown on this screen only. Please check that no one is looking on.",
    ),
    "mine_privacy_what": (
        "这里只列出实名保存的自测：日期、量表和自评参考，不显示具体答案和分数。"
        "匿名作答的结果不与您关联，不会出现在这里。",
        "Only self-checks saved with your name: the date, the questionnaire and its band — no answers, "
        "no scores. Anonymous ones are not linked to you and are not shown.",
    ),
    "mine_digits_prompt": (
        "为确认是您本人，请输入您登记的手机号后四位：",
        "To confirm it is you, enter the last four digits of your registered phone number:",
    ),
    "mine_continue": ("继续", "Continue"),
    "mine_back": ("返回", "Back"),
    "mine_loading": ("请稍候……", "Please wait…"),
    "mine_clear": ("清除", "Clear"),
    "mine_title": ("我以前的自测结果", "My earlier self-checks"),
    "mine_note": (
        "这些是当时的自我评估参考，不是诊断；您现在的感受可能已经不同。",
        "These were self-checks at the time, not diagnoses; how you feel now may be different.",
    ),
    "mine_empty": ("还没有实名保存的自测结果。", "No self-checks saved with your name yet."),
    "mine_auto_close": (
        "{seconds} 秒无操作会自动关闭。不会打印，也不会保存在本机。",
        "Closes by itself after {seconds} seconds untouched. Nothing is printed or kept on this kiosk.",
    ),
    "mine_close": ("关闭", "Close"),
    "mine_offline": (
        "暂时连不上服务器，请稍后再试。",
        "The server cannot be reached right now; please try again later.",
    ),
    "crisis_message_fallback": (
        "谢谢您愿意如实作答。您最近可能承受了很多，您并不孤单。心理关爱老师马上会来陪您聊一聊，请在这里稍等。",
        "Thank you for answering honestly. You may be carrying a lot right now, and you are not alone. "
        "A counselor is coming to talk with you; please wait here.",
    ),
}

# A plain-language line under each shipped scale's name (the official names are long and clinical).
SCALE_TOPICS: dict[str, tuple[str, str]] = {
    "phq9": ("最近的心情和兴趣", "Mood and interest lately"),
    "gad7": ("紧张和担心", "Nervousness and worry"),
    "pss10": ("压力感受", "Feeling stressed"),
    "sds": ("情绪低落的程度", "Low mood"),
    "sas": ("焦虑不安的程度", "Anxiety"),
    "k10": ("心理困扰的程度", "Distress"),
    "who5": ("幸福感", "Well-being"),
}


def tr(key: str, language: str = "zh", **values: object) -> str:
    zh, en = TEXTS[key]
    text = en if language == "en" else zh
    return text.format(**values) if values else text


MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def long_date(iso: str, language: str = "zh") -> str:
    """``2026-11-03`` → 2026年11月3日 (or 3 Nov 2026); anything else is shown as it came."""
    try:
        year, month, day = (int(part) for part in iso.split("-"))
        name = MONTHS_EN[month - 1]
    except (ValueError, IndexError):
        return iso
    return f"{day} {name} {year}" if language == "en" else f"{year}年{month}月{day}日"
