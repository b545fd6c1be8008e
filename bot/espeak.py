"""espeak-ng through ctypes: text in, 16-bit mono samples out.

The library and its language data come from the ``espeakng-loader`` wheel (libespeak-ng
1.52 and ``espeak-ng-data``, both espeak-ng's, GPL-3.0-or-later); only its files are used,
found where pip put them, none of its code. The library keeps one voice and one callback for
the whole process and is not safe to call from two threads at once: one :class:`Espeak` a
process (:func:`shared`), every call holding its lock, its callback set again before each text
(another user of the library in the process may have set its own), and
:class:`bot.tts.EspeakSpeaker` runs them in its one worker thread.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util
import threading
from pathlib import Path
from typing import Any

import numpy as np

AUDIO_OUTPUT_SYNCHRONOUS = 2  # espeak_AUDIO_OUTPUT: samples handed to the callback, in turn
INITIALIZE_DONT_EXIT = 0x8000  # a missing data folder is an error code, not exit()
CHARS_UTF8 = 1
POS_CHARACTER = 1
RATE = 1  # espeak_PARAMETER: words per minute
EE_OK = 0

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.c_void_p)


class EspeakError(Exception):
    """The library is missing, or refused a voice or a text."""


def bundled_files() -> tuple[Path, Path]:
    """The shared library and the folder holding ``espeak-ng-data``, as the
    ``espeakng-loader`` wheel installs them (found without importing it)."""
    spec = importlib.util.find_spec("espeakng_loader")
    if spec is None or spec.origin is None:
        raise EspeakError("the espeakng-loader package is not installed")
    folder = Path(spec.origin).parent
    for name in ("libespeak-ng.so.1", "libespeak-ng.so", "libespeak-ng.dylib",
                 "espeak-ng.dll"):
        if (folder / name).is_file():
            return folder / name, folder
    raise EspeakError(f"no espeak-ng library in {folder}")


class Espeak:
    """One espeak-ng library, initialised once, speaking in any of its voices."""

    def __init__(self, library: Path | None = None, data_home: Path | None = None) -> None:
        if library is None or data_home is None:
            library, data_home = bundled_files()
        try:
            lib: Any = ctypes.CDLL(str(library))
        except OSError as exc:
            raise EspeakError(f"espeak-ng could not be loaded ({exc})") from None
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                          ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint,
                                     ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                     ctypes.c_void_p, ctypes.c_void_p]
        self.lib = lib
        self.lock = threading.Lock()
        self.sample_rate = int(lib.espeak_Initialize(
            AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data_home).encode(), INITIALIZE_DONT_EXIT))
        if self.sample_rate <= 0:
            raise EspeakError(f"espeak-ng found no language data in {data_home}")
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # kept: the library holds its address
        lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav: Any, count: int, events: Any) -> int:
        if count > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0  # go on

    def has_voice(self, voice: str) -> bool:
        with self.lock:
            return bool(self.lib.espeak_SetVoiceByName(voice.encode()) == EE_OK)

    def synthesize(self, text: str, voice: str, words_per_minute: int) -> np.ndarray:
        """The text spoken in ``voice``: int16 samples at :attr:`sample_rate`."""
        data = text.encode("utf-8") + b"\0"
        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != EE_OK:
                raise EspeakError(f"espeak-ng has no voice {voice!r}")
            self.lib.espeak_SetParameter(RATE, words_per_minute, 0)
            self.lib.espeak_SetSynthCallback(self._callback)
            self._chunks = []
            error = self.lib.espeak_Synth(data, len(data), 0, POS_CHARACTER, 0, CHARS_UTF8,
                                          None, None)
            self.lib.espeak_Synchronize()
            chunks, self._chunks = self._chunks, []
        if error != EE_OK:
            raise EspeakError(f"espeak-ng refused the text (error {error})")
        if not chunks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(chunks)


@functools.cache
def shared() -> Espeak:
    """The process's espeak-ng, from the ``espeakng-loader`` wheel, initialised once."""
    return Espeak()
