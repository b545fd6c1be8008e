"""Speech made for the tests: espeak-ng (the library and its data shipped by the
``espeakng-loader`` package, no system install), resampled to 16 kHz and encoded to OGG/Opus
like a Telegram voice note (``soundfile``, whose wheels carry libsndfile with Opus)."""

from __future__ import annotations

import ctypes
import functools
import io
from typing import Any

RETRIEVAL_SYNCHRONOUS = 2  # espeak_Initialize's AUDIO_OUTPUT_SYNCHRONOUS
RATE = 1  # espeak_SetParameter's espeakRATE (words a minute)
OPUS_RATE = 16_000


@functools.cache
def _espeak() -> tuple[Any, int]:
    import espeakng_loader

    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    rate = lib.espeak_Initialize(RETRIEVAL_SYNCHRONOUS, 0,
                                 espeakng_loader.get_data_path().encode(), 0)
    if rate <= 0:
        raise RuntimeError("espeak-ng did not start")
    return lib, rate


def speak(text: str, voice: str = "en", words_per_minute: int = 120) -> tuple[Any, int]:
    """The samples (float32, mono) of ``text`` spoken, and their rate."""
    import numpy as np

    lib, rate = _espeak()
    chunks: list[Any] = []
    callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short),
                                     ctypes.c_int, ctypes.c_void_p)

    def collect(wav: Any, count: int, events: Any) -> int:
        if wav and count > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    callback = callback_type(collect)
    lib.espeak_SetSynthCallback(callback)
    lib.espeak_SetVoiceByName(voice.encode())
    lib.espeak_SetParameter(RATE, words_per_minute, 0)
    data = text.encode()
    lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, 0, None, None)
    lib.espeak_Synchronize()
    samples = np.concatenate(chunks).astype(np.float32) / 32768
    return samples, rate


def voice_note(text: str, voice: str = "en", words_per_minute: int = 120) -> bytes:
    """``text`` spoken, as the OGG/Opus a Telegram voice note is."""
    import numpy as np
    import soundfile

    samples, rate = speak(text, voice, words_per_minute)
    at = np.arange(0, len(samples), rate / OPUS_RATE)
    resampled = np.interp(at, np.arange(len(samples)), samples).astype(np.float32)
    buffer = io.BytesIO()
    soundfile.write(buffer, resampled, OPUS_RATE, format="OGG", subtype="OPUS")
    return buffer.getvalue()
