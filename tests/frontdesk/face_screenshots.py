"""Make the 撤回人脸授权 screenshots in docs/screenshots/ from the demo data (not a test).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/frontdesk/face_screenshots.py [OUTDIR]

The same demo morning as ``screenshots.py``; one of the visitors has a face template (enrolled
through the API with a synthetic embedding of the calibrated test recogniser). The reception
officer calls that ticket, and the window is grabbed with the card's 人脸识别 state
(frontdesk-face-card.png), with the confirmation dialog (frontdesk-face-withdraw.png) and after
the withdrawal (frontdesk-face-withdrawn.png).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/, for support
sys.path.insert(0, str(HERE))  # the front desk's screenshot helpers

from screenshots import demo, grab, grab_with_popup, open_desk, pause, wait  # noqa: E402
from test_face_withdrawal import MODEL, frames  # noqa: E402

NOTE = "想问退休前补缴公积金怎么办理"  # the visitor in screenshots.TODAY who will have a face template


def visitor(url: str) -> tuple[int, str]:
    """The ticket and 工号 of the visitor who left ``NOTE`` at the kiosk."""
    from sqlalchemy import select

    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.people.models import Employee
    from suqiu_queue.server.tickets.models import Ticket

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            ticket = session.scalars(select(Ticket).where(Ticket.note == NOTE)).one()
            employee = session.get(Employee, ticket.employee_id)
            assert employee is not None
            return ticket.id, employee.employee_no
    finally:
        engine.dispose()


def main() -> int:
    from suqiu_frontdesk.login import fetch_login
    from suqiu_queue.client import SuqiuClient
    from suqiu_queue.server.seed import DEMO_PASSWORD

    with demo("suqiu-face-shots-") as shots:
        app = shots.app
        client = SuqiuClient(shots.server.url)
        logged_in = fetch_login(client, "reception", DEMO_PASSWORD)
        ticket_id, employee_no = visitor(shots.url)
        version = client.face_consent_text()["version"]
        client.face_enrol_at_desk(employee_no=employee_no, consent_version=version, model=MODEL, embeddings=frames(7))

        desk = open_desk(client, logged_in)
        states = desk.controller.faces.states
        wait(app, lambda: desk.model.connected and desk.model.card(ticket_id) is not None)
        desk.controller.call_ticket(ticket_id)
        wait(app, lambda: desk.model.current is not None and desk.model.busy is None)
        wait(app, lambda: (s := states.get(employee_no)) is not None and s.kind == "enrolled")
        pause(app, 0.5)
        grab(desk.window, "frontdesk-face-card.png")

        [card] = [w for w in desk.window.cards_panel.widgets() if w.card.ticket_id == ticket_id]
        card.face_row.withdraw_button.click()
        dialog = desk.window.face_dialog
        assert dialog is not None
        dialog.in_person.setChecked(True)
        pause(app, 0.3)
        grab_with_popup(desk.window, dialog, "frontdesk-face-withdraw.png")

        dialog.confirm_button.click()
        wait(app, lambda: (s := states.get(employee_no)) is not None and s.kind == "none")
        pause(app, 0.5)
        grab(desk.window, "frontdesk-face-withdrawn.png")

        desk.window.close()
        desk.shutdown()
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
