"""Speech made for the tests: English said by the assistant's own espeak-ng
(:mod:`bot.espeak`, from the ``espeakng-loader`` wheel, no system install), encoded to
OGG/Opus like a Telegram voice note by the assistant's own encoder
(:func:`bot.tts.encode_opus`)."""

from __future__ import annotations

from bot.espeak import shared
from bot.tts import encode_opus


def voice_note(text: str, voice: str = "en", words_per_minute: int = 120) -> bytes:
    """``text`` spoken, as the OGG/Opus a Telegram voice note is."""
    espeak = shared()
    audio, _ = encode_opus(espeak.synthesize(text, voice, words_per_minute),
                           espeak.sample_rate)
    return audio
