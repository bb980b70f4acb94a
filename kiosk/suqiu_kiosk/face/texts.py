"""The face screens' words: Chinese first, English second. Short, calm, and saying what to do."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "loading": ("正在加载…", "Loading…"),
    "offline": (
        "暂时连不上服务器，请稍后再试或使用工号",
        "Cannot reach the server; try later or use your staff number",
    ),
    "version": ("授权说明版本 {version}", "Consent text version {version}"),
    "enrol_title": ("登记刷脸", "Set up face recognition"),
    "identity_hint": (
        "为确认是您本人，请输入工号和登记的手机号后四位",
        "To confirm it is you, enter your staff number and the last four digits of your phone",
    ),
    "employee_no": ("工号", "Staff number"),
    "phone_last4": ("手机号后四位", "Last 4 digits of phone"),
    "next": ("下一步", "Next"),
    "cancel": ("取消", "Cancel"),
    "check_input": ("请填写工号和 4 位数字", "Please enter your staff number and 4 digits"),
    "capture_hint": ("请看着屏幕，按提示慢慢转一下头", "Look at the screen and turn your head slowly when asked"),
    "retry": ("再试一次", "Try again"),
    "capture_failed": ("没能完成采集，可以再试一次，或到窗口办理", "Could not finish; try again or ask at a counter"),
    "submitting": ("正在提交…", "Submitting…"),
    "submitted": (
        "已提交。请到窗口，请工作人员核对您的工牌，确认后刷脸即可使用。",
        "Submitted. Please show your staff badge at a counter; once an officer confirms, face recognition works.",
    ),
    "done": ("完成", "Done"),
    "recognise_title": ("刷脸识别", "Face recognition"),
    "matching": ("正在识别，请稍候…", "Recognising, one moment…"),
    "greeting": ("您好，{name}，是您本人吗？", "Hello, {name}. Is this you?"),
    "yes": ("是", "Yes"),
    "no": ("不是", "No"),
    "history_title": ("{name}，这是您的来访和诉求记录", "{name}, your visits and cases"),
    "no_history": ("暂时没有记录", "No records yet"),
    "withdraw": ("撤回刷脸授权", "Withdraw face consent"),
    "continue": ("继续", "Continue"),
    "withdrawn": ("已撤回授权，您的人脸数据已删除。", "Consent withdrawn; your face data has been deleted."),
    "withdraw_title": ("撤回刷脸授权", "Withdraw face consent"),
    "withdraw_hint": (
        "输入工号和手机号后四位，撤回后人脸数据立即删除",
        "Enter your staff number and the last four digits of your phone; your face data is deleted at once",
    ),
    "withdraw_confirm": ("撤回", "Withdraw"),
    "camera_lost": ("摄像头暂时不可用，请使用工号", "The camera is not available; please use your staff number"),
}


def text(key: str, language: str = "zh", **values: object) -> str:
    zh, en = TEXTS[key]
    return (en if language == "en" else zh).format(**values)
