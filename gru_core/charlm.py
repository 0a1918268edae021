"""A character-level language model: embedding -> one recurrent layer (RNN, GRU or LSTM) -> linear -> softmax.

Training is PyTorch (fused nn.GRU / nn.LSTM / nn.RNN, float32, one thread); inference for the pages is the engine
on plain numpy arrays (``lm_weights``), so every gate shown is exact:

    f = train_lms(split, LMConfig())                # gru_core.training.fit: RNN, GRU, LSTM side by side
    w = lm_weights(f.runs["gru"].snapshots[-1].params)   # {"embedding": (V, E), "weight_ih": ..., "head_weight": ...}
    trace, logits = lm_record(w, split.vocab.encode("def f(x):"))   # trace.gates["z"] (T, 1, H); logits (T, V)

Weights come from the engine's own initialisation (``make_cell(kind, E, H, seed)``), the embedding N(0, 1) and the
head U(-1/sqrt(H), 1/sqrt(H)) from numpy's PCG64 with the seed: the same run on every machine, whatever other
sessions do with torch's global random generator. Batch s is ``batch_size`` random windows of ``seq_len + 1``
characters of the training part drawn with ``np.random.default_rng([seed, s])``: the same batches for every kind.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import validate as V
from .cell import PARAM_NAMES, Cell, make_cell
from .record import record, step
from .text import SCORE_FROM, Split, bits_per_char, softmax
from .training import Fit, FitConfig, load_checkpoint, save_checkpoint
from .training import torch_single_thread as _torch

KINDS = ("rnn", "gru", "lstm")
EVAL_CHARS = 4_000           # the held-out curve while training uses the first 4,000 held-out characters
LN2 = math.log(2.0)
LIMITS = {"hidden_size": (8, 256), "embed_size": (4, 64), "seq_len": (8, 256), "batch_size": (1, 256),
          "steps": (1, 20_000), "seed": (0, 2**31 - 1)}


class TrainSettings:
    """Shared by the frozen training configs here and in seq2seq: checks every integer setting against the class's
    ``LIMITS`` (and lr, clip), and gives the ``FitConfig`` for gru_core.training.fit (snapshots: start and end)."""
    LIMITS: dict = {}

    def __post_init__(self) -> None:
        for name, (lo, hi) in self.LIMITS.items():
            V.int_in(name, getattr(self, name), lo, hi)
        V.finite_float("lr", self.lr, 1e-5, 1.0)
        V.finite_float("clip", self.clip, 0.0, 100.0)

    def fit_config(self) -> FitConfig:
        return FitConfig(steps=self.steps, lr=self.lr, clip=self.clip, eval_every=self.eval_every,
                         snapshot_every=self.steps, max_snapshots=4)


@dataclass(frozen=True)
class LMConfig(TrainSettings):
    """Every setting that decides a trained language model (defaults = the page's and the checkpoint's)."""
    LIMITS = LIMITS
    hidden_size: int = 64
    embed_size: int = 16
    seq_len: int = 64
    batch_size: int = 32
    lr: float = 1e-2
    clip: float = 1.0
    steps: int = 1000
    seed: int = 0
    eval_every: int = 100


def recurrent_layer(kind: str, input_size: int, hidden_size: int, seed: int):
    """The fused torch layer (T, B, I) -> (out, state), float32, with the engine's seeded initialisation.
    (When ``gru_core.layer`` lands this is the one line to switch.)"""
    return make_cell(kind, input_size, hidden_size, seed=seed).to_torch().float()


def _uniform(rng: np.random.Generator, shape: tuple, fan_in: int) -> np.ndarray:
    k = 1.0 / math.sqrt(fan_in)
    return rng.uniform(-k, k, shape).astype(np.float32)


def build_lm(kind: str, vocab_size: int, config: LMConfig):
    """torch module: ``.embedding`` (V, E), ``.rnn`` (fused layer), ``.head`` (H -> V); forward(ids (T, B)) ->
    logits (T, B, V)."""
    torch = _torch()
    nn = torch.nn
    E, H, seed = config.embed_size, config.hidden_size, config.seed
    rng = np.random.default_rng([seed, 7])

    class CharLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, E)
            self.rnn = recurrent_layer(V.one_of("kind", kind, KINDS), E, H, seed)
            self.head = nn.Linear(H, vocab_size)
            with torch.no_grad():
                self.embedding.weight.copy_(torch.from_numpy(rng.standard_normal((vocab_size, E)).astype(np.float32)))
                self.head.weight.copy_(torch.from_numpy(_uniform(rng, (vocab_size, H), H)))
                self.head.bias.copy_(torch.from_numpy(_uniform(rng, (vocab_size,), H)))

        def forward(self, ids, state=None):
            out, state = self.rnn(self.embedding(ids), state)
            return self.head(out), state

    return CharLM()


def lm_batch(train: np.ndarray, config: LMConfig, step_index: int) -> tuple[np.ndarray, np.ndarray]:
    """Batch number ``step_index``: inputs x and next characters y, both (seq_len, batch_size) int64."""
    rng = np.random.default_rng([config.seed, step_index])
    starts = rng.integers(0, len(train) - config.seq_len - 1, config.batch_size)
    windows = train[starts[:, None] + np.arange(config.seq_len + 1)].T
    return windows[:-1], windows[1:]


def lm_loss(model, batch):
    """(mean cross-entropy in nats per character of the next character, nan); batch = (x, y) numpy (T, B)."""
    torch = _torch()
    x, y = (torch.from_numpy(np.ascontiguousarray(a)) for a in batch)
    logits, _ = model(x)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)), math.nan


def stream_bpc(model, ids: np.ndarray, chunk: int = 2_000) -> float:
    """Bits per character of the model on one stream (state carried from its first character), scored from
    SCORE_FROM on, as the n-grams are."""
    torch = _torch()
    logp, state = [], None
    with torch.no_grad():
        for s in range(0, len(ids) - 1, chunk):
            x = torch.from_numpy(ids[s:s + chunk][:len(ids) - 1 - s, None])
            logits, state = model(x, state)
            y = torch.from_numpy(ids[s + 1:s + 1 + len(x)])
            logp.append(torch.log_softmax(logits[:, 0], -1).gather(1, y[:, None])[:, 0].double().numpy())
    lp = np.concatenate(logp)[SCORE_FROM - 1:]
    return float(-lp.mean() / LN2)


def lm_batches(split: Split, config: LMConfig):
    """batches(s) for ``fit``: batch number s of the training part."""
    return lambda s: lm_batch(split.train, config, s)


def lm_evaluate(ids: np.ndarray):
    """evaluate(model) for ``fit``: (bits per character on the stream ``ids``, nan)."""
    return lambda model: (stream_bpc(model, ids), math.nan)


def lm_fit(split: Split, config: LMConfig, kinds=KINDS) -> Fit:
    """The (not yet run) side-by-side training of one model per kind: same batches for all; the held-out curve on
    the first EVAL_CHARS held-out characters, the final number on all of them (both in bits per character).
    Run it with ``.run(lm_batches(split, config), should_stop=...)``."""
    models = {kind: build_lm(kind, split.vocab.size, config) for kind in kinds}
    return Fit(models, lm_loss, config.fit_config(), evaluate=lm_evaluate(split.test[:EVAL_CHARS]),
               final_evaluate=lm_evaluate(split.test))


def train_lms(split: Split, config: LMConfig, kinds=KINDS, should_stop=None) -> Fit:
    """Train one model per kind to the end (synchronously)."""
    return lm_fit(split, config, kinds).run(lm_batches(split, config), should_stop=should_stop)


def lm_weights(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A model's state dict (``gru_core.training.state_arrays`` or a snapshot's params) as the plain arrays the
    engine functions take: embedding, weight_ih, weight_hh, bias_ih, bias_hh, head_weight, head_bias."""
    out = {"embedding": state["embedding.weight"], "head_weight": state["head.weight"], "head_bias": state["head.bias"]}
    out.update({name: state[f"rnn.{name}_l0"] for name in PARAM_NAMES})
    return {k: np.asarray(v, dtype=np.float32) for k, v in out.items()}


def weights_kind(weights: dict[str, np.ndarray]) -> str:
    """rnn / gru / lstm from the shape of weight_hh (H, 3H or 4H rows)."""
    rows, H = weights["weight_hh"].shape
    return {1: "rnn", 3: "gru", 4: "lstm"}[rows // H]


def engine_cell(weights: dict[str, np.ndarray]) -> Cell:
    """The recurrent layer of ``weights`` as an engine cell (float64, PyTorch's conventions)."""
    kind = weights_kind(weights)
    H, E = weights["weight_hh"].shape[1], weights["weight_ih"].shape[1]
    options = {"rnn": {"nonlinearity": "tanh"}, "gru": {"mix": "torch", "reset": "after"}, "lstm": {}}[kind]
    params = {name: np.asarray(weights[name], dtype=np.float64) for name in PARAM_NAMES}
    return Cell(kind, E, H, params, options)


def lm_record(weights: dict[str, np.ndarray], ids: np.ndarray):
    """The engine run over a passage: (trace with every gate and h (T, 1, H), logits (T, V) of the next character)."""
    x = np.asarray(weights["embedding"], dtype=np.float64)[ids][:, None, :]
    trace = record(engine_cell(weights), x, loss="last")
    logits = trace.h[:, 0] @ np.asarray(weights["head_weight"], np.float64).T + weights["head_bias"]
    return trace, logits


def generate(weights: dict[str, np.ndarray], prompt_ids: np.ndarray, n: int, temperature: float,
             seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sample n characters after the prompt: (ids (n,), the distribution of the first one after the prompt (V,))."""
    V.int_in("n", n, 0, 2_000)
    temperature = V.finite_float("temperature", temperature, 0.05, 10.0)
    cell, rng = engine_cell(weights), np.random.default_rng(seed)
    emb = np.asarray(weights["embedding"], np.float64)
    Wo, bo = np.asarray(weights["head_weight"], np.float64), np.asarray(weights["head_bias"], np.float64)
    trace = record(cell, emb[prompt_ids][:, None, :], loss="last")
    h = trace.h[-1]
    c = trace.gates["c"][-1] if "c" in trace.gates else None
    first = p = softmax(h[0] @ Wo.T + bo, temperature)
    out = np.empty(n, dtype=np.int64)
    for t in range(n):
        out[t] = rng.choice(len(p), p=p)
        h, gates = step(cell, emb[out[t]], h, c)
        c = gates.get("c")
        p = softmax(h[0] @ Wo.T + bo, temperature)
    return out, first


def lm_probs_np(weights: dict[str, np.ndarray], ids: np.ndarray) -> np.ndarray:
    """The probability the model gave each character of ``ids`` from SCORE_FROM on (the engine, float64)."""
    _, logits = lm_record(weights, ids)
    p = softmax(logits)
    return p[np.arange(SCORE_FROM - 1, len(ids) - 1), ids[SCORE_FROM:]]


def engine_bpc(weights: dict[str, np.ndarray], ids: np.ndarray) -> float:
    return bits_per_char(lm_probs_np(weights, ids))


# -----------------------------------------------------------------------------------------------------------------
# Checkpoints: plain arrays in one .npz (loaded with allow_pickle=False)

def save_lm_checkpoint(path, fitted: Fit, config: LMConfig, vocab_chars: tuple[str, ...]) -> None:
    """The final weights, curves and held-out numbers of every model of ``fitted`` (plain arrays + JSON meta)."""
    from dataclasses import asdict
    views = {name: run.view() for name, run in fitted.runs.items()}
    meta = {"lm_config": asdict(config), "vocab": [ord(c) for c in vocab_chars],
            "test_bpc": {n: v.final["loss"] for n, v in views.items()},
            "seconds": {n: v.seconds for n, v in views.items()}}
    save_checkpoint(path, views, meta, snapshot_steps=[], half_precision=False)


@dataclass(frozen=True)
class LMCheckpoint:
    config: LMConfig
    vocab_chars: tuple[str, ...]
    weights: dict          # kind -> lm_weights
    history: dict          # kind -> training.History
    test_bpc: dict         # kind -> float: every held-out character
    seconds: dict          # kind -> training seconds


def load_lm_checkpoint(path) -> LMCheckpoint:
    ck = load_checkpoint(path)
    m = ck.meta
    return LMCheckpoint(LMConfig(**m["lm_config"]), tuple(chr(c) for c in m["vocab"]),
                        {n: lm_weights(ck.snapshots[n][-1].params) for n in ck.names}, ck.histories,
                        {n: float(m["test_bpc"][n]) for n in ck.names}, {n: float(m["seconds"][n]) for n in ck.names})
