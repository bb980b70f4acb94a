"""Every word the kiosk shows, in Simplified Chinese first and English second.

Kept in one table so a reviewer can read the whole kiosk's wording at once and so a missing
translation is a KeyError in the tests, not a blank button in the hall.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # header and footer
    "elderly_mode": ("长辈模式", "Large text"),
    "elderly_mode_on": ("✓ 长辈模式", "✓ Large text"),
    "switch_language": ("English", "中文"),
    "offline_banner": ("离线  网络暂时中断，仍可正常取号", "Offline  The network is down; tickets still work"),
    "privacy_footer": ("您填写的信息仅用于本次办理", "What you enter is used only for this visit"),
    "back": ("返回", "Back"),
    "home": ("返回首页", "Home"),
    "please_wait": ("请稍候……", "One moment…"),
    # welcome
    "welcome_title": ("您好，请选择要办理的事项", "Hello — what can we help you with?"),
    "welcome_hint": ("点一下对应的方块即可开始", "Tap a tile to begin"),
    "waiting_some": ("等候 {waiting} 人 · 约 {minutes} 分钟", "{waiting} waiting · about {minutes} min"),
    "waiting_none": ("现在无需等候", "No wait right now"),
    "waiting_unknown": ("等候人数更新中", "Updating the queue…"),
    "self_check_name": ("心理自测", "Self-check"),
    "self_check_desc": (
        "花几分钟了解最近的心情和压力，可以匿名",
        "A few minutes on your mood and stress; anonymous if you like",
    ),
    "self_check_note": ("不用取号 · 约 3 分钟", "No ticket needed · about 3 min"),
    # identify
    "identify_title": ("请输入工号或手机号", "Enter your staff number or phone"),
    "identify_hint": (
        "登记后工作人员能更快了解您的情况；不方便也可以跳过",
        "It helps staff help you faster; you may skip it",
    ),
    "identify_hint_assessment": (
        "登记后可以选择实名作答，方便心理老师跟进；也可以点“跳过”，匿名作答",
        "Registering lets a counselor follow up; tap Skip to answer anonymously",
    ),
    "by_face": ("刷脸识别", "Face recognition"),
    "enrol_face": ("登记刷脸", "Set up face"),
    "withdraw_face": ("撤回刷脸授权", "Withdraw face"),
    "face_not_recognised": (
        "这次没有认出来，请输入工号或手机号，也可以点“跳过”",
        "We could not recognise you; enter your staff number or phone, or tap Skip",
    ),
    "by_employee_no": ("工号", "Staff no."),
    "by_phone": ("手机号", "Phone"),
    "identify_placeholder_employee": ("请输入工号", "Staff number"),
    "identify_placeholder_phone": ("请输入 11 位手机号", "11-digit phone number"),
    "confirm": ("确认", "Confirm"),
    "skip": ("跳过", "Skip"),
    "clear": ("清除", "Clear"),
    "letters": ("字母", "ABC"),
    "digits": ("数字", "123"),
    "is_this_you": ("{masked_name}，是您本人吗？", "{masked_name} — is this you?"),
    "yes_its_me": ("是我，继续", "Yes, continue"),
    "not_me": ("不是我，重新输入", "No, re-enter"),
    "identify_not_found": (
        "没有找到这个号码，请核对后再试，或点“跳过”",
        "That number was not found; check it or tap Skip",
    ),
    "identify_offline": ("暂时无法核对身份，请点“跳过”继续取号", "Cannot check right now; tap Skip to go on"),
    "phone_too_short": ("手机号应为 11 位数字", "A phone number has 11 digits"),
    # describe
    "describe_title": ("请简单说说您想办理什么", "Briefly, what is it about?"),
    "describe_hint": ("可以点选常见事项，也可以用下方键盘输入拼音；不方便可跳过", "Pick a topic or type; you may skip"),
    "describe_placeholder": ("例如：工资发放、住房公积金提取", "e.g. salary payment, housing fund"),
    "topics": ("常见事项", "Common topics"),
    "next": ("下一步", "Next"),
    # keyboard
    "kb_space": ("空格", "Space"),
    "kb_confirm": ("确定", "Enter"),
    "kb_prev": ("上一页", "Prev"),
    "kb_next": ("下一页", "More"),
    "kb_hint": ("输入拼音，如 gongzi → 工资", "Type pinyin, e.g. gongzi → 工资"),
    # faq
    "faq_title": ("这些解答也许能帮到您", "These answers may help"),
    "faq_hint": ("如果问题已经解决，就不用排队了", "If this answers it, no need to queue"),
    "faq_resolved": ("问题已解决", "That answers it"),
    "faq_need_person": ("仍需人工办理，取号", "I still need a person — take a ticket"),
    # resolved
    "resolved_title": ("很高兴帮到您！", "Glad we could help!"),
    "resolved_body": ("如还有其他问题，欢迎随时来中心咨询。", "If anything else comes up, we are here."),
    # ticket
    "your_number": ("您的号码", "Your number"),
    "people_ahead": ("前面还有 {people} 人", "{people} ahead of you"),
    "estimated_wait": ("预计等候约 {minutes} 分钟", "About {minutes} min"),
    "nobody_ahead": ("前面没有人，请留意叫号", "You are next — watch for your number"),
    "scan_for_status": ("扫码查看排队进度", "Scan to follow your turn"),
    "printing": ("正在打印号票……", "Printing your ticket…"),
    "printed": ("号票已打印，请取走号票", "Please take your printed ticket"),
    "print_failed": (
        "{reason}。您的号码已登记，请记住屏幕上的号码，或用手机扫码查看。",
        "{reason}. Your number is registered — remember it or scan the code.",
    ),
    "print_failed_offline": (
        "{reason}。您的号码已登记，请记住屏幕上的号码。",
        "{reason}. Your number is registered — please remember it.",
    ),
    "reprint": ("重新打印", "Print again"),
    "done": ("完成", "Done"),
    "offline_ticket": (
        "离线取号：网络恢复后自动登记，不影响叫号",
        "Issued offline; it is registered when the network returns",
    ),
    "priority_lane": ("长辈·残障优先", "Priority"),
    # A crisis-lane ticket is shown in public: it says "seen first", never "crisis".
    "care_first_lane": ("优先接待", "Seen first"),
    "care_first_note": (
        "心理老师会优先接待您，请在附近稍坐。也可以随时拨打全国心理援助热线 {hotline}。",
        "A counselor will see you first; please take a seat nearby. "
        "The national psychological aid line {hotline} is open any time.",
    ),
    # errors
    "issue_failed": ("暂时无法取号：{reason}", "Cannot issue a ticket: {reason}"),
    "offline_no_numbers": (
        "网络中断，本机暂无可用号码，请到服务台登记",
        "Offline and out of numbers — please ask at the desk",
    ),
}


def tr(key: str, language: str = "zh", **values: object) -> str:
    zh, en = TEXTS[key]
    text = en if language == "en" else zh
    return text.format(**values) if values else text
