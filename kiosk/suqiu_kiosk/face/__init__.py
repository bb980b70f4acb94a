"""Consent-based face recognition at the kiosk: self-contained screens the kiosk flow wires in.

* ``ConsentScreen(client)`` — the separate consent screen; ``accepted(version)`` / ``declined()``.
* ``EnrolScreen(client, camera, engine)`` — ``begin(version)``; 工号 + phone digits, then the
  camera; ``submitted(enrolment_id, masked_name)`` / ``cancelled()`` / ``finished()``.
* ``RecogniseScreen(client, camera, engine)`` — ``start()``; ``recognised(employee_no,
  masked_name)`` after "是", ``declined()``, ``fallback(reason)``; ``link_ticket(ticket_id)``.
* ``WithdrawScreen(client)`` — withdrawal with 工号 + phone digits.
* ``FacePreview`` — the live picture with the face box and a quality hint.
* ``load_face_support(camera, face)`` — None (and a log line saying why) when the kiosk has no
  camera or no models: the flow then hides face login.

See docs/faces.md for the integration points.
"""

from .consent import ConsentScreen
from .enrol import EnrolScreen
from .preview import FacePreview
from .recognise import RecogniseScreen
from .support import FaceSupport, load_face_support
from .withdraw import WithdrawScreen

__all__ = [
    "ConsentScreen",
    "EnrolScreen",
    "FacePreview",
    "FaceSupport",
    "RecogniseScreen",
    "WithdrawScreen",
    "load_face_support",
]
