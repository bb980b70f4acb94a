"""Listening to visitors' voice messages at the front desk: a player with waveform and transcript.

``VoiceMessagePlayer`` plays one message; ``VoiceMessagesPanel`` lists a ticket's or a case's
messages, one player each. Audio is fetched only when the officer presses play: the server
audits every fetch as one playback. See docs/voice.md for embedding.
"""

from .player import VoiceMessagePlayer, VoiceMessagesPanel, default_output

__all__ = ["VoiceMessagePlayer", "VoiceMessagesPanel", "default_output"]
