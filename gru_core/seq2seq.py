"""Translation in miniature: a GRU encoder-decoder (Cho et al. 2014; Sutskever et al. 2014) that turns number words
into digits, "three hundred and twelve" -> "312", trained on generated pairs.

    f = train_translator(S2SConfig())      # gru_core.training.fit
    w = s2s_weights(f.runs["gru"].snapshots[-1].params)   # plain arrays: enc_*, dec_*, *_embedding, head_*
    out = translate(w, "three hundred and twelve")     # Translation: digits, encoder / decoder traces (engine)

The encoder reads the words; its final state h_T is the whole sentence in H numbers, and it is the decoder's
initial state. The decoder starts from "<s>" and emits one digit per step (greedy: the most likely) until "</s>".
Training uses teacher forcing (the true previous digit as input). Pairs: the number of digits is uniform in
1..max_digits, then the number uniform among those with that many digits; batch s uses
``np.random.default_rng([seed, s])``, the held-out set ``default_rng([seed, 10**6])`` (numbers in the training
set are not removed from it; with 900,000 six-digit numbers few repeat).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from . import validate as V
from .cell import PARAM_NAMES, Cell
from .charlm import TrainSettings, _torch, _uniform, recurrent_layer
from .training import Fit, load_checkpoint, save_checkpoint, state_arrays
from .record import record, step

ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
SRC_WORDS = ("<pad>",) + tuple(ONES) + tuple(TENS[2:]) + ("hundred", "thousand", "and")
_SRC_INDEX = {w: i for i, w in enumerate(SRC_WORDS) if i > 0}
TGT_TOKENS = ("<s>", "</s>") + tuple("0123456789")
MAX_DIGITS = 6
MAX_OUT = MAX_DIGITS + 1            # digits plus </s>
EVAL_SIZE = 2_000              # held-out numbers for the final accuracy
EVAL_LIVE = 300               # and for the curve while training
LIMITS = {"hidden_size": (4, 256), "embed_size": (2, 64), "batch_size": (1, 512), "steps": (1, 20_000),
          "max_digits": (1, MAX_DIGITS), "seed": (0, 2**31 - 1)}


def number_words(n: int) -> str:
    """0 <= n < 1,000,000 in British English words: 312 -> 'three hundred and twelve', 40002 -> 'forty thousand
    and two'."""
    return _words(V.int_in("n", n, 0, 10 ** MAX_DIGITS - 1))


def _words(n: int) -> str:
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("-" + ONES[n % 10] if n % 10 else "")
    if n < 1000:
        return ONES[n // 100] + " hundred" + (" and " + _words(n % 100) if n % 100 else "")
    rest = n % 1000
    tail = "" if rest == 0 else (" and " if rest < 100 else " ") + _words(rest)
    return _words(n // 1000) + " thousand" + tail


def words_to_ids(text: str) -> np.ndarray:
    """'three hundred and twelve' -> word indices (T,); hyphens split words. Raises ValueError on unknown words."""
    words = [w for w in re.split(r"[\s\-]+", text.lower().strip()) if w]
    unknown = [w for w in words if w not in _SRC_INDEX]
    if not words or unknown:
        raise ValueError(f"unknown words {unknown}: use number words from zero to nine hundred and ninety-nine "
                         "thousand (e.g. 'four thousand and seven')" if unknown else "no words given")
    return np.array([_SRC_INDEX[w] for w in words], dtype=np.int64)


def digits_to_ids(n: int) -> np.ndarray:
    """312 -> ids of '3', '1', '2', '</s>'."""
    return np.array([TGT_TOKENS.index(d) for d in str(n)] + [1], dtype=np.int64)


def sample_numbers(rng: np.random.Generator, size: int, max_digits: int) -> np.ndarray:
    """Numbers whose digit count is uniform in 1..max_digits (then uniform within it; 1 digit includes 0)."""
    d = rng.integers(1, max_digits + 1, size)
    lo = np.where(d == 1, 0, 10 ** (d - 1))
    return lo + (rng.random(size) * (10 ** d - lo)).astype(np.int64)


@dataclass(frozen=True)
class S2SConfig(TrainSettings):
    """Every setting that decides a trained translator (defaults = the page's and the checkpoint's)."""
    LIMITS = LIMITS
    hidden_size: int = 64
    embed_size: int = 16
    batch_size: int = 64
    lr: float = 1e-2
    clip: float = 1.0
    steps: int = 1200
    max_digits: int = MAX_DIGITS
    seed: int = 0
    eval_every: int = 100


@dataclass(frozen=True)
class PairBatch:
    """Padded pairs: src (T_in, B) with lengths (B,), decoder input (T_out, B), target (T_out, B) (-100 = padding)."""
    numbers: np.ndarray
    src: np.ndarray
    lengths: np.ndarray
    dec_in: np.ndarray
    target: np.ndarray


def make_batch(numbers: np.ndarray) -> PairBatch:
    srcs = [words_to_ids(_words(int(n))) for n in numbers]
    tgts = [digits_to_ids(int(n)) for n in numbers]
    B, T_in, T_out = len(numbers), max(map(len, srcs)), max(map(len, tgts))
    src, target = np.zeros((T_in, B), np.int64), np.full((T_out, B), -100, np.int64)
    dec_in = np.zeros((T_out, B), np.int64)
    for b, (s, t) in enumerate(zip(srcs, tgts)):
        src[:len(s), b], target[:len(t), b] = s, t
        dec_in[1:len(t), b] = t[:-1]
    return PairBatch(np.asarray(numbers), src, np.array([len(s) for s in srcs]), dec_in, target)


def build_seq2seq(config: S2SConfig):
    """torch module with src_embedding, encoder, tgt_embedding, decoder, head; forward(batch) -> logits (T_out, B, V)."""
    torch = _torch()
    nn = torch.nn
    E, H, seed = config.embed_size, config.hidden_size, config.seed
    rng = np.random.default_rng([seed, 11])

    class Seq2Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.src_embedding, self.tgt_embedding = nn.Embedding(len(SRC_WORDS), E), nn.Embedding(len(TGT_TOKENS), E)
            self.encoder = recurrent_layer("gru", E, H, seed)
            self.decoder = recurrent_layer("gru", E, H, seed + 1)
            self.head = nn.Linear(H, len(TGT_TOKENS))
            with torch.no_grad():
                for emb in (self.src_embedding, self.tgt_embedding):
                    emb.weight.copy_(torch.from_numpy(rng.standard_normal(tuple(emb.weight.shape)).astype(np.float32)))
                self.head.weight.copy_(torch.from_numpy(_uniform(rng, (len(TGT_TOKENS), H), H)))
                self.head.bias.copy_(torch.from_numpy(_uniform(rng, (len(TGT_TOKENS),), H)))

        def forward(self, batch: PairBatch):
            packed = nn.utils.rnn.pack_padded_sequence(self.src_embedding(torch.from_numpy(batch.src)),
                                                       torch.from_numpy(batch.lengths), enforce_sorted=False)
            _, h = self.encoder(packed)
            out, _ = self.decoder(self.tgt_embedding(torch.from_numpy(batch.dec_in)), h)
            return self.head(out)

    return Seq2Seq()


def s2s_loss(model, batch: PairBatch):
    """(mean cross-entropy per target token, padding ignored; nan)."""
    F = _torch().nn.functional
    logits = model(batch)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), _torch().from_numpy(batch.target).reshape(-1),
                           ignore_index=-100), math.nan


def held_out_numbers(config: S2SConfig, size: int = EVAL_SIZE) -> np.ndarray:
    """The held-out numbers: 1..6 digits uniform, whatever max_digits (so longer inputs than trained are tested)."""
    return sample_numbers(np.random.default_rng([config.seed, 10 ** 6]), size, MAX_DIGITS)


def s2s_batches(config: S2SConfig):
    """batches(s) for ``fit``: batch number s of generated pairs."""
    return lambda s: make_batch(sample_numbers(np.random.default_rng([config.seed, s]), config.batch_size,
                                               config.max_digits))


def s2s_evaluate(numbers: np.ndarray):
    """evaluate(model) for ``fit``: (loss per target token, whole-answer accuracy of greedy decoding) on numbers."""
    batch = make_batch(numbers)
    return lambda model: (float(s2s_loss(model, batch)[0]),
                          float(np.mean(greedy_batch(s2s_weights(state_arrays(model)), numbers) == numbers)))


def s2s_fit(config: S2SConfig) -> Fit:
    """The (not yet run) training; run it with ``.run(s2s_batches(config), should_stop=...)``. Held-out points on
    EVAL_LIVE numbers, the final one on EVAL_SIZE."""
    return Fit({"gru": build_seq2seq(config)}, s2s_loss, config.fit_config(),
               evaluate=s2s_evaluate(held_out_numbers(config, EVAL_LIVE)),
               final_evaluate=s2s_evaluate(held_out_numbers(config)))


def train_translator(config: S2SConfig, should_stop=None) -> Fit:
    return s2s_fit(config).run(s2s_batches(config), should_stop=should_stop)


def s2s_weights(sd: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A state dict (``state_arrays`` or a snapshot's params) as plain arrays: src_embedding, tgt_embedding,
    enc_<param>, dec_<param>, head_weight, head_bias."""
    out = {"src_embedding": sd["src_embedding.weight"], "tgt_embedding": sd["tgt_embedding.weight"],
           "head_weight": sd["head.weight"], "head_bias": sd["head.bias"]}
    for side, name in (("enc", "encoder"), ("dec", "decoder")):
        out.update({f"{side}_{p}": sd[f"{name}.{p}_l0"] for p in PARAM_NAMES})
    return out


def gru_cell(weights: dict[str, np.ndarray], side: str) -> Cell:
    """The encoder ("enc") or decoder ("dec") as an engine GRU cell (float64)."""
    params = {p: np.asarray(weights[f"{side}_{p}"], np.float64) for p in PARAM_NAMES}
    H, E = params["weight_hh"].shape[1], params["weight_ih"].shape[1]
    return Cell("gru", E, H, params, {"mix": "torch", "reset": "after"})


def _emb(weights, name: str, ids) -> np.ndarray:
    return np.asarray(weights[name], np.float64)[np.asarray(ids)]


def _logits(weights, h: np.ndarray) -> np.ndarray:
    return h @ np.asarray(weights["head_weight"], np.float64).T + weights["head_bias"]


def encode(weights: dict[str, np.ndarray], src_ids: np.ndarray):
    """The engine's encoder run over one sentence: the trace (T_in, 1, H); trace.h[-1, 0] is the summary."""
    return record(gru_cell(weights, "enc"), _emb(weights, "src_embedding", src_ids)[:, None, :], loss="last")


def encode_batch(weights: dict[str, np.ndarray], numbers: np.ndarray) -> np.ndarray:
    """The encoder's final state of each number's sentence (engine, batched): (B, H)."""
    batch = make_batch(numbers)
    enc = gru_cell(weights, "enc")
    h = np.zeros((len(numbers), enc.hidden_size))
    x = _emb(weights, "src_embedding", batch.src)
    for t in range(x.shape[0]):                     # stepped, so each sentence stops at its own length
        h_new, _ = step(enc, x[t], h)
        h = np.where((t < batch.lengths)[:, None], h_new, h)
    return h


def greedy_batch(weights: dict[str, np.ndarray], numbers: np.ndarray) -> np.ndarray:
    """Greedy translations of many numbers at once (engine, batched): the predicted numbers (B,), -1 = no valid
    answer (no digit, or no '</s>' within MAX_OUT steps)."""
    return _decode_greedy(weights, encode_batch(weights, numbers))


def _decode_greedy(weights, h: np.ndarray) -> np.ndarray:
    dec, B = gru_cell(weights, "dec"), h.shape[0]
    tok, done = np.zeros(B, np.int64), np.zeros(B, bool)
    digits = np.zeros((B, MAX_OUT), np.int64) - 1
    for t in range(MAX_OUT):
        h, _ = step(dec, _emb(weights, "tgt_embedding", tok), h)
        tok = _logits(weights, h).argmax(-1)
        digits[:, t] = np.where(done, -1, tok)
        done |= tok == 1
    return np.array([_read_digits(row) for row in digits])


def _read_digits(row: np.ndarray) -> int:
    """Token ids up to '</s>' -> the number they spell; -1 if not a well-formed answer."""
    ids = list(row)
    if 1 not in ids or ids.index(1) == 0 or any(i < 2 for i in ids[:ids.index(1)]):
        return -1
    text = "".join(TGT_TOKENS[i] for i in ids[:ids.index(1)])
    return int(text) if len(text) == 1 or text[0] != "0" else -1


@dataclass(frozen=True)
class Translation:
    """One sentence through the model: words, the answer, and both engine traces."""
    words: tuple[str, ...]
    output: tuple[str, ...]        # emitted tokens, '</s>' included if emitted
    encoder: object                # Trace (T_in, 1, H)
    decoder: object                # Trace (T_out, 1, H): step t reads output[t-1] ('<s>' first)
    probs: np.ndarray              # (T_out, len(TGT_TOKENS)) next-token probabilities at each decoder step


def translate(weights: dict[str, np.ndarray], text: str) -> Translation:
    """Greedy translation of one sentence of number words, with the engine's exact traces of both GRUs."""
    src = words_to_ids(text)
    enc = encode(weights, src)
    tokens, h = [0], enc.h[-1]
    while len(tokens) <= MAX_OUT and (len(tokens) == 1 or tokens[-1] != 1):
        h, _ = step(gru_cell(weights, "dec"), _emb(weights, "tgt_embedding", tokens[-1]), h)
        tokens.append(int(_logits(weights, h)[0].argmax()))
    x = _emb(weights, "tgt_embedding", tokens[:-1])[:, None, :]
    dec = record(gru_cell(weights, "dec"), x, h0=enc.h[-1], loss="last")
    logits = _logits(weights, dec.h[:, 0])
    p = np.exp(logits - logits.max(-1, keepdims=True))
    return Translation(tuple(SRC_WORDS[i] for i in src), tuple(TGT_TOKENS[i] for i in tokens[1:]), enc, dec,
                       p / p.sum(-1, keepdims=True))


def token_count(n: int) -> int:
    """How many words the number has ('seventy-two' counts two)."""
    return len(words_to_ids(number_words(int(n))))


def accuracy_by_length(numbers: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lengths L, accuracy at each L, count at each L) over input length in words."""
    lengths = np.array([token_count(n) for n in numbers])
    L = np.unique(lengths)
    acc = np.array([np.mean(predicted[lengths == k] == numbers[lengths == k]) for k in L])
    return L, acc, np.array([np.sum(lengths == k) for k in L])


# -----------------------------------------------------------------------------------------------------------------
# Checkpoint: plain arrays in one .npz (loaded with allow_pickle=False)

def save_s2s_checkpoint(path, fitted: Fit, config: S2SConfig) -> None:
    from dataclasses import asdict
    view = fitted.runs["gru"].view()
    meta = {"s2s_config": asdict(config), "accuracy": view.final["accuracy"], "seconds": view.seconds}
    save_checkpoint(path, {"gru": view}, meta, snapshot_steps=[], half_precision=False)


@dataclass(frozen=True)
class S2SCheckpoint:
    config: S2SConfig
    weights: dict
    history: object          # training.History
    accuracy: float          # greedy whole-answer accuracy on EVAL_SIZE held-out numbers
    seconds: float


def load_s2s_checkpoint(path) -> S2SCheckpoint:
    ck = load_checkpoint(path)
    m = ck.meta
    return S2SCheckpoint(S2SConfig(**m["s2s_config"]), s2s_weights(ck.snapshots["gru"][-1].params),
                         ck.histories["gru"], float(m["accuracy"]), float(m["seconds"]))
