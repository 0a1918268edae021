"""Characters as data: a corpus, its encoding, exact n-gram baselines and a character-level language model.

    split = split_corpus(default_corpus())          # Python's own documentation prose, 90% train / 10% held out
    ngram_bpc(split, order=3, smoothing="kneser-ney")   # bits per character of the trigram on the held-out part
    model = CharLM("gru", split.vocab.size, hidden_size=64, seed=0)     # torch: embedding -> recurrent -> linear
    weights = lm_weights(model)                     # plain numpy arrays (what a checkpoint stores)
    trace, logits = lm_record(weights, split.vocab.encode("print('hi')"))   # the engine's exact gates + logits

Scoring rule shared by every model (so the numbers compare): a model sees the held-out stream from its first
character and is scored on every held-out character from the third on (so a trigram always has two characters
of context inside the held-out text). Bits per character = the mean of -log2 P(next character).

No Streamlit here. Torch is imported only by the training functions.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import numpy as np

from . import validate as V

MAX_UPLOAD_BYTES = 1_000_000     # a pasted or uploaded text may be at most 1 MB
MIN_CHARS = 2_000                # and at least 2,000 characters (200 held out)
MAX_VOCAB = 96                   # the 96 most frequent characters of the training part; others are UNK
UNK = "\ufffd"                   # the one symbol for every character outside the vocabulary
HELD_OUT = 0.1                   # the last 10% of the text is held out
SCORE_FROM = 2                   # held-out characters are scored from the third on (see the module docstring)
NGRAM_ORDERS = (1, 2, 3)
SMOOTHINGS = ("add-one", "kneser-ney")
KN_DISCOUNT = 0.75


class CorpusError(ValueError):
    """A text that cannot be used as a corpus; the message says what is wrong and what is allowed."""


# -----------------------------------------------------------------------------------------------------------------
# The corpus


def default_corpus() -> str:
    """The prose of Python's documentation topics (``pydoc_data.topics``, ~465k characters), topics in name order."""
    from pydoc_data.topics import topics
    return "".join(topics[k] for k in sorted(topics))


def decode_upload(data: bytes) -> str:
    """Bytes of an uploaded file -> checked text (UTF-8, a BOM allowed). Raises CorpusError saying what is wrong."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise CorpusError(f"The file has {len(data):,} bytes; at most {MAX_UPLOAD_BYTES:,} (1 MB) are allowed.")
    if b"\x00" in data[:65536]:
        raise CorpusError("The file holds zero bytes, so it is not plain text (a binary file or UTF-16?); "
                          "save it as UTF-8 plain text.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CorpusError(f"The file is not UTF-8 text (byte {e.start:,} cannot be read); "
                          "save it as UTF-8 plain text.") from None
    return check_text(text)


def check_text(text: str) -> str:
    """Normalise newlines and check size and content. Raises CorpusError naming the limit."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text.encode("utf-8")) > MAX_UPLOAD_BYTES:
        raise CorpusError(f"The text is larger than {MAX_UPLOAD_BYTES:,} bytes (1 MB); use a shorter text.")
    if len(text) < MIN_CHARS:
        raise CorpusError(f"The text has {len(text):,} characters; at least {MIN_CHARS:,} are needed "
                          "(a tenth of it is held out to measure the models).")
    control = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\t")
    if control > len(text) // 100:
        raise CorpusError(f"{control:,} of the {len(text):,} characters are control characters: this does not look "
                          "like plain text.")
    return text


@dataclass(frozen=True)
class Vocab:
    """The characters a model knows: index 0 is UNK, then the characters by falling frequency (ties by code)."""
    chars: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """str -> (T,) int64 indices (unknown characters -> 0)."""
        index = {c: i for i, c in enumerate(self.chars)}
        return np.fromiter((index.get(c, 0) for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def build_vocab(text: str, max_size: int = MAX_VOCAB) -> Vocab:
    """The ``max_size`` most frequent characters of ``text`` (plus UNK at index 0)."""
    chars, counts = np.unique(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32), return_counts=True)
    order = np.lexsort((chars, -counts))[:max_size]
    return Vocab((UNK,) + tuple(chr(int(chars[i])) for i in order if chr(int(chars[i])) != UNK))


@dataclass(frozen=True)
class Split:
    """A corpus cut into a training part and the held-out part after it; both encoded with the training vocab."""
    vocab: Vocab
    train: np.ndarray      # (N_train,) int64
    test: np.ndarray       # (N_test,) int64
    test_text: str


def split_corpus(text: str, held_out: float = HELD_OUT, max_vocab: int = MAX_VOCAB) -> Split:
    """The first (1 - held_out) of the text trains, the rest is held out (one contiguous piece, never trained on)."""
    cut = int(round(len(text) * (1.0 - held_out)))
    vocab = build_vocab(text[:cut], max_vocab)
    return Split(vocab, vocab.encode(text[:cut]), vocab.encode(text[cut:]), text[cut:])


def bits_per_char(probs: np.ndarray) -> float:
    """Mean of -log2 p over the probabilities a model gave the characters that came."""
    return float(-np.mean(np.log2(probs)))


# -----------------------------------------------------------------------------------------------------------------
# n-gram baselines (exact, from dense count arrays: V <= 97, so a trigram table is under a million cells)


def ngram_counts(ids: np.ndarray, order: int, V_size: int) -> np.ndarray:
    """Counts of every n-gram of ``ids``: an array of shape (V,) * order, C[a, b, c] = #(a b c)."""
    n = len(ids) - order + 1
    flat = np.zeros(n, dtype=np.int64)
    for k in range(order):
        flat = flat * V_size + ids[k:k + n]
    return np.bincount(flat, minlength=V_size ** order).reshape((V_size,) * order).astype(np.float64)


def _kneser_ney_level(counts: np.ndarray, lower: np.ndarray, D: float) -> np.ndarray:
    """P(c | context) = max(C - D, 0) / C(context .) + D * N1+(context .) / C(context .) * lower(c | shorter).
    A context never seen gets ``lower``. counts: (..., V); lower broadcasts against it."""
    total = counts.sum(-1, keepdims=True)
    types = (counts > 0).sum(-1, keepdims=True)
    safe = np.where(total > 0, total, 1.0)
    p = np.maximum(counts - D, 0.0) / safe + D * types / safe * lower
    return np.where(total > 0, p, np.broadcast_to(lower, p.shape))


def ngram_table(train: np.ndarray, V_size: int, order: int, smoothing: str) -> np.ndarray:
    """P(c | previous order-1 characters) as an array of shape (V,) * order (last axis sums to 1).

    add-one: (C(ctx c) + 1) / (C(ctx .) + V). Kneser-Ney (interpolated, discount 0.75): the highest order uses
    counts, each lower order continuation counts N1+(. ctx c) (how many different characters came before), and
    the lowest interpolates with the uniform 1/V."""
    V.one_of("order", order, NGRAM_ORDERS)
    V.one_of("smoothing", smoothing, SMOOTHINGS)
    counts = ngram_counts(train, order, V_size)
    if smoothing == "add-one":
        return (counts + 1.0) / (counts.sum(-1, keepdims=True) + V_size)
    levels = [counts]
    for _ in range(order - 1):                      # continuation counts of the next lower order
        levels.append((levels[-1] > 0).sum(axis=0).astype(np.float64))
    p = np.full(V_size, 1.0 / V_size)
    for level in reversed(levels):
        p = _kneser_ney_level(level, p, KN_DISCOUNT)
    return p


def ngram_probs(table: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The probability the table gives each character of ``ids`` from SCORE_FROM on: (len(ids) - SCORE_FROM,)."""
    order = table.ndim
    idx = tuple(ids[SCORE_FROM - order + 1 + k: len(ids) - order + 1 + k] for k in range(order))
    return table[idx]


def ngram_bpc(split: Split, order: int, smoothing: str = "kneser-ney") -> float:
    """Held-out bits per character of the n-gram trained on ``split.train``."""
    return bits_per_char(ngram_probs(ngram_table(split.train, split.vocab.size, order, smoothing), split.test))


# -----------------------------------------------------------------------------------------------------------------
# Features a unit may track (Karpathy, Johnson & Fei-Fei 2015)

FEATURES = ("quote", "bracket", "line_pos", "after_space")
FEATURE_LABELS = {"quote": "inside double quotes", "bracket": "inside brackets ( ) [ ] { }",
                  "line_pos": "position in the line", "after_space": "right after a space"}


def feature_values(text: str, feature: str) -> np.ndarray:
    """(T,) float: the feature at each character (1/0, or the position in the line counted from 0)."""
    V.one_of("feature", feature, FEATURES)
    out = np.zeros(len(text))
    inside, depth, pos, prev = False, 0, 0, ""
    for t, ch in enumerate(text):
        if ch == '"':
            inside = not inside
        depth = max(0, depth + (ch in "([{") - (ch in ")]}"))
        pos = 0 if ch == "\n" else pos + 1
        out[t] = {"quote": inside, "bracket": depth > 0, "line_pos": pos, "after_space": prev == " "}[feature]
        prev = ch
    return out


def best_unit(states: np.ndarray, feature: np.ndarray) -> tuple[int, float]:
    """The unit whose activity (states (T, H)) correlates most with the feature (T,): (unit, Pearson r).
    Units or features that do not vary get r = 0."""
    s = states - states.mean(0)
    f = feature - feature.mean()
    denom = np.sqrt((s ** 2).sum(0) * (f ** 2).sum())
    r = np.divide(s.T @ f, denom, out=np.zeros(states.shape[1]), where=denom > 0)
    unit = int(np.argmax(np.abs(r)))
    return unit, float(r[unit])


def top_units(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k units (values (T, H)) that vary most over time, most varying first."""
    return np.argsort(-values.std(0), kind="stable")[:k]


def show_char(ch: str) -> str:
    """A character as an axis label: space -> '␣', newline -> '↵', tab -> '⇥'."""
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(ch, ch)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax over the last axis of logits / temperature (temperature > 0)."""
    z = logits / temperature
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def entropy_bits(p: np.ndarray) -> float:
    return float(-(p[p > 0] * np.log2(p[p > 0])).sum())


def perplexity(bpc: float) -> float:
    return float(2.0 ** bpc) if math.isfinite(bpc) else math.inf
