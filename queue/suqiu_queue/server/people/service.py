"""Finding employees; importing and syncing them lives in people/importing.py."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from suqiu_queue.domain.errors import Invalid, not_found

from .models import Employee


def employee_by_no(session: Session, employee_no: str) -> Employee:
    employee = session.scalar(select(Employee).where(Employee.employee_no == employee_no.strip()))
    if employee is None or not employee.active:
        raise not_found("职工", "Employee", employee_no)
    return employee


def employee_by_phone(session: Session, phone: str) -> Employee:
    matches = session.scalars(select(Employee).where(Employee.phone == phone.strip(), Employee.active.is_(True))).all()
    if not matches:
        raise not_found("职工", "Employee", phone)
    if len(matches) > 1:
        raise Invalid(
            "phone_ambiguous",
            "该手机号对应多名职工，请改用工号",
            "Several employees share this phone; use the staff number",
        )
    return matches[0]


def age_on(birth: date | None, day: date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
