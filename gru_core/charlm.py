"""A character-level language model: embedding -> one recurrent layer (RNN, GRU or LSTM) -> linear -> softmax.

Training is PyTorch (fused nn.GRU / nn.LSTM / nn.RNN, float32, one thread); inference for the pages is the engine
on plain numpy arrays (``lm_weights``), so every gate shown is exact:

    run = LMRun(split, LMConfig(kind="gru"))        # resumable: run.advance(100) trains 100 more steps
    run.advance(run.config.steps)
    w = run.weights()                               # {"embedding": (V, E), "weight_ih": ..., "head_weight": (V, H), ...}
    trace, logits = lm_record(w, split.vocab.encode("def f(x):"))   # trace.gates["z"] (T, 1, H); logits (T, V)

Weights come from the engine's own initialisation (``make_cell(kind, E, H, seed)``), the embedding N(0, 1) and the
head U(-1/sqrt(H), 1/sqrt(H)) from numpy's PCG64 with the seed: the same run on every machine, whatever other
sessions do with torch's global random generator. Batch s is ``batch_size`` random windows of ``seq_len + 1``
characters of the training part drawn with ``np.random.default_rng([seed, s])``: the same batches for every kind.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import validate as V
from .cell import PARAM_NAMES, Cell, make_cell
from .record import record, step
from .text import SCORE_FROM, Split, bits_per_char, softmax

KINDS = ("rnn", "gru", "lstm")
EVAL_CHARS = 4_000           # the held-out curve while training uses the first 4,000 held-out characters
LN2 = math.log(2.0)
LIMITS = {"hidden_size": (8, 256), "embed_size": (4, 64), "seq_len": (8, 256), "batch_size": (1, 256),
          "steps": (1, 20_000), "seed": (0, 2**31 - 1)}


def _torch():
    import torch
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    return torch


@dataclass(frozen=True)
class LMConfig:
    """Every setting that decides a trained language model (defaults = the page's and the checkpoint's)."""
    kind: str = "gru"
    hidden_size: int = 64
    embed_size: int = 16
    seq_len: int = 64
    batch_size: int = 32
    lr: float = 1e-2
    clip: float = 1.0
    steps: int = 1000
    seed: int = 0
    eval_every: int = 100

    def __post_init__(self) -> None:
        V.one_of("kind", self.kind, KINDS)
        for name, (lo, hi) in LIMITS.items():
            V.int_in(name, getattr(self, name), lo, hi)
        V.finite_float("lr", self.lr, 1e-5, 1.0)
        V.finite_float("clip", self.clip, 0.0, 100.0)


def recurrent_layer(kind: str, input_size: int, hidden_size: int, seed: int):
    """The fused torch layer (T, B, I) -> (out, state), float32, with the engine's seeded initialisation.
    (When ``gru_core.layer`` lands this is the one line to switch.)"""
    return make_cell(kind, input_size, hidden_size, seed=seed).to_torch().float()


def _uniform(rng: np.random.Generator, shape: tuple, fan_in: int) -> np.ndarray:
    k = 1.0 / math.sqrt(fan_in)
    return rng.uniform(-k, k, shape).astype(np.float32)


def build_lm(vocab_size: int, config: LMConfig):
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
            self.rnn = recurrent_layer(config.kind, E, H, seed)
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
    """Mean cross-entropy (nats per character) of the next character; batch = (x, y) numpy (T, B)."""
    torch = _torch()
    x, y = (torch.from_numpy(np.ascontiguousarray(a)) for a in batch)
    logits, _ = model(x)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


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


@dataclass
class LMHistory:
    step: list[int] = field(default_factory=list)
    train_bpc: list[float] = field(default_factory=list)    # mean over the steps since the last point
    test_bpc: list[float] = field(default_factory=list)     # on the first EVAL_CHARS held-out characters
    seconds: list[float] = field(default_factory=list)


class LMRun:
    """One model trained step by step (``advance``); stops for good on a non-finite loss (``status``)."""

    def __init__(self, split: Split, config: LMConfig):
        torch = _torch()
        self.split, self.config = split, config
        self.model = build_lm(split.vocab.size, config)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        self.steps_done, self.seconds, self.status = 0, 0.0, "running"
        self.history, self._losses = LMHistory(), []
        self._record_point()

    @property
    def finished(self) -> bool:
        return self.status != "running"

    def train_step(self) -> float:
        torch = _torch()
        self.opt.zero_grad()
        loss = lm_loss(self.model, lm_batch(self.split.train, self.config, self.steps_done))
        loss.backward()
        if self.config.clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.clip)
        self.opt.step()
        self.steps_done += 1
        return float(loss.detach())

    def advance(self, n: int, max_seconds: float = math.inf) -> None:
        """Train up to n more steps (or max_seconds), recording a curve point every eval_every steps."""
        t0 = time.perf_counter()
        for _ in range(n):
            if self.finished or time.perf_counter() - t0 > max_seconds:
                break
            loss = self.train_step()
            self._losses.append(loss)
            if not math.isfinite(loss):
                self.status = "diverged"
            elif self.steps_done % self.config.eval_every == 0 or self.steps_done >= self.config.steps:
                self._record_point()
            if self.steps_done >= self.config.steps and not self.finished:
                self.status = "done"
        self.seconds += time.perf_counter() - t0

    def _record_point(self) -> None:
        self.model.eval()
        h = self.history
        h.step.append(self.steps_done)
        h.train_bpc.append(float(np.mean(self._losses)) / LN2 if self._losses else math.nan)
        h.test_bpc.append(stream_bpc(self.model, self.split.test[:EVAL_CHARS]))
        h.seconds.append(self.seconds)
        self._losses = []
        self.model.train()

    def weights(self) -> dict[str, np.ndarray]:
        return lm_weights(self.model)


def lm_weights(model) -> dict[str, np.ndarray]:
    """The model as plain float32 arrays (embedding, weight_ih, weight_hh, bias_ih, bias_hh, head_weight, head_bias)."""
    sd = {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}
    out = {"embedding": sd["embedding.weight"], "head_weight": sd["head.weight"], "head_bias": sd["head.bias"]}
    out.update({name: sd[f"rnn.{name}_l0"] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
    return out


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
