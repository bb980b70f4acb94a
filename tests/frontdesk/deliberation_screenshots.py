"""Make the 多部门议事 and 评价 screenshots in docs/screenshots/ from the demo data (not a test).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/frontdesk/deliberation_screenshots.py [OUTDIR]

The same demo morning as ``screenshots.py``. A supervisor's PC (through the API) registers an
employee's matter; the reception officer opens it in the case view (一口受理 window) and:

- frontdesk-deliberation-start.png    发起议事 filled in (departments ticked, agenda typed)
- frontdesk-deliberation.png          the 议事 panel: one department signed, one with a comment, one to sign
- frontdesk-deliberation-sign.png     填写意见并签署 for the department that commented
- frontdesk-deliberation-invite.png   邀请部门 (the departments already in the 议事 ticked and greyed)
- frontdesk-deliberation-conclude.png every department signed: the 议事结论 form
- frontdesk-case-rate.png             评价 taken by phone, with the employee's words
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/, for support
sys.path.insert(0, str(HERE))  # the front desk's screenshot helpers

from screenshots import demo, grab, open_desk, pause, wait  # noqa: E402

EMPLOYEE = "100077"
SUMMARY = "【作风建设】二车间倒班表调整后，连续上夜班超过七天，身体吃不消，希望恢复原来的排班并安排补休"


def main() -> int:
    from suqiu_frontdesk.login import fetch_login
    from suqiu_queue.client import SuqiuClient
    from suqiu_queue.server.seed import DEMO_PASSWORD

    with demo("suqiu-deliberation-shots-") as shots:
        app = shots.app
        other = SuqiuClient(shots.server.url)  # the supervisor's PC, and the departments' officers
        other.login("supervisor", DEMO_PASSWORD)
        client = SuqiuClient(shots.server.url)
        desk = open_desk(client, fetch_login(client, "reception", DEMO_PASSWORD))
        wait(app, lambda: desk.model.connected)

        case = other.open_case(center="HQ", category="opinion", summary=SUMMARY, employee_no=EMPLOYEE)
        view = desk.window.open_intake()
        view.resize(900, 1000)
        view.load_case(case["id"])
        wait(app, lambda: view.case is not None and not view.busy)
        panel = view.deliberation

        panel.choose("start")
        for name in ("人力资源部", "工会"):
            panel.department_checks[name].setChecked(True)
        panel.other_departments.setText("生产调度中心")
        panel.responsible.setText("李主任")
        panel.agenda.setPlainText("排班调整是否符合规定、如何安排补休，请各部门三个工作日内提出意见")
        pause(app, 0.3)
        grab(view, "frontdesk-deliberation-start.png")
        panel.submit_pending()
        wait(app, lambda: not view.busy and view.case is not None and view.case["deliberation_open"])

        other.deliberation_sign_off(case["id"], "人力资源部", "连续夜班已超过规定天数，本周内调整排班并安排补休")
        other.deliberation_comment(case["id"], "工会", "同意调整，补休落实情况由工会跟踪，请人力资源部牵头")
        view.load_case(case["id"])
        wait(app, lambda: not view.busy and view.case is not None and len(view.case["timeline"]) >= 4)
        pause(app, 0.3)
        grab(view, "frontdesk-deliberation.png")

        panel.choose("sign")
        panel.sign_department.setCurrentText("工会")
        pause(app, 0.3)
        grab(view, "frontdesk-deliberation-sign.png")
        panel.cancel_form()

        panel.choose("invite")
        panel.department_checks["安全环保部"].setChecked(True)
        pause(app, 0.3)
        grab(view, "frontdesk-deliberation-invite.png")
        panel.cancel_form()

        other.deliberation_sign_off(case["id"], "工会", "同意调整，补休落实情况由工会跟踪，请人力资源部牵头")
        other.deliberation_sign_off(case["id"], "生产调度中心", "下周一起恢复原四班三运转排班")
        view.load_case(case["id"])
        wait(app, lambda: not view.busy and view.case is not None and not view.deliberation.sign_button.isEnabled())
        view.lifecycle.choose("conclude_deliberation")
        view.lifecycle.lead.setCurrentText("人力资源部")
        view.lifecycle.conclusion.setPlainText(
            "人力资源部牵头，下周一起恢复原排班，本月内安排补休；工会跟踪落实，五个工作日内回复职工"
        )
        pause(app, 0.3)
        grab(view, "frontdesk-deliberation-conclude.png")
        view.close()

        # 评价 by phone: an answered case, the employee's score and words.
        rated = other.open_case(center="HQ", category="logistics", summary="宿舍楼道灯坏了", employee_no=EMPLOYEE)
        other.route_case(rated["id"], ["物业管理部"], responsible="周科长")
        other.start_case(rated["id"])
        other.answer_case(rated["id"], "物业已于今天上午更换楼道灯具和线路，经检查照明正常")
        view = desk.window.open_intake()
        view.resize(900, 1000)
        view.load_case(rated["id"])
        wait(app, lambda: view.case is not None and not view.busy)
        view.lifecycle.choose("rate")
        view.lifecycle.score.setValue(4)
        view.lifecycle.rating_comment.setPlainText("灯修好了，就是等了三天，希望以后快一点")
        pause(app, 0.3)
        grab(view, "frontdesk-case-rate.png")
        view.close()

        desk.shutdown()
        desk.window.close()
        client.close()
        other.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
