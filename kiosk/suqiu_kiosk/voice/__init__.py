"""Voice input on the describe screen: record, transcribe into the text box, keep the recording.

``VoiceInputWidget`` (widget.py) is self-contained; ``upload.py`` sends the kept recording once
the ticket exists. Integration points are described in docs/voice.md.
"""

from .upload import PendingVoiceMessage, upload_in_background, upload_voice_message
from .widget import VoiceInputWidget

__all__ = ["PendingVoiceMessage", "VoiceInputWidget", "upload_in_background", "upload_voice_message"]
