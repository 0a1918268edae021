"""Cells: parameters under PyTorch's names, made from a seed with the lab's initialisation controls."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import validate as V
from .cells import REGISTRY, CellKind

CELL_KINDS = tuple(REGISTRY)
INITS = ("pytorch", "orthogonal", "gaussian")
PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


@dataclass
class Cell:
    """A recurrent cell: `params` holds weight_ih (R_ih, I), weight_hh (R_hh, H), bias_ih and bias_hh (R_b,) with
    gate rows in PyTorch order (see `spec.ih_blocks` etc.). A stack of B cells (`stack_cells`) has a leading (B, ...)
    axis on every parameter. `options` are per-cell switches: `mix`/`reset` (GRU family), `nonlinearity` (RNN)."""

    kind: str
    input_size: int
    hidden_size: int
    params: dict[str, np.ndarray]
    options: dict = field(default_factory=dict)

    @property
    def spec(self) -> CellKind:
        return REGISTRY[self.kind]

    @property
    def gate_names(self) -> tuple[str, ...]:
        return self.spec.gates

    @property
    def batch(self) -> int | None:
        """B for a stack of cells, None for a single cell."""
        W = self.params["weight_hh"]
        return W.shape[0] if W.ndim == 3 else None

    @property
    def num_parameters(self) -> int:
        """Parameters of one cell (PyTorch's two bias vectors counted)."""
        return int(sum(v.size for v in self.params.values())) // (self.batch or 1)

    def select(self, b: int) -> "Cell":
        """Cell b of a stack."""
        if self.batch is None:
            raise ValueError("select: this is a single cell, not a stack")
        return Cell(self.kind, self.input_size, self.hidden_size, {k: v[b] for k, v in self.params.items()},
                    dict(self.options))

    def to_torch(self, cell_module: bool = False):
        """The matching torch module (nn.RNN / nn.GRU / nn.LSTM, or the *Cell with cell_module=True)."""
        from .interop import to_torch
        return to_torch(self, cell_module=cell_module)


def _orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))          # sign fix: a uniform (Haar) orthogonal matrix


def _rescale(W: np.ndarray, s: float) -> np.ndarray:
    top = np.linalg.norm(W, 2)
    return W * (s / top) if top > 0 else W


def make_cell(kind: str, input_size: int, hidden_size: int, *, seed: int = 0, init: str = "pytorch",
              scale: float | None = None, update_bias: float = 0.0, chrono: int | None = None,
              nonlinearity: str = "tanh", mix: str | None = None, reset: str | None = None,
              dtype=np.float64) -> Cell:
    """A cell of `kind` (see CELL_KINDS) with weights drawn from `seed` (numpy PCG64: the same on every machine).

    init: "pytorch" (every parameter U(-1/sqrt(H), 1/sqrt(H)), PyTorch's default), "orthogonal" or "gaussian"
    (N(0, 1/H)) recurrent blocks. scale: rescale each H x H block of weight_hh to this largest singular value
    (orthogonal defaults to 1). update_bias: added to the keep gate's bias, positive = keep more of the old state
    (GRU z, LSTM f, MGU f; the sign follows the mixing convention). chrono: T_max for chrono initialisation
    (Tallec & Ollivier 2018): keep bias log U[1, T_max - 1] in bias_ih, 0 in bias_hh (LSTM: input bias = -forget).
    """
    V.one_of("kind", kind, CELL_KINDS)
    spec = REGISTRY[kind]
    I = V.int_in("input_size", input_size, 1, V.MAX_INPUT)
    H = V.int_in("hidden_size", hidden_size, 1, V.MAX_HIDDEN)
    seed = V.int_in("seed", seed, 0, 2**32 - 1)
    V.one_of("init", init, INITS)
    options = _options(kind, spec, nonlinearity, mix, reset)
    rng = np.random.default_rng(seed)
    k = 1.0 / np.sqrt(H)
    shapes = dict(weight_ih=(len(spec.ih_blocks) * H, I), weight_hh=(len(spec.hh_blocks) * H, H),
                  bias_ih=(len(spec.bias_blocks) * H,), bias_hh=(len(spec.bias_blocks) * H,))
    P = {name: rng.uniform(-k, k, shapes[name]) for name in PARAM_NAMES}
    _init_recurrent(P["weight_hh"], rng, len(spec.hh_blocks), H, init, scale)
    _init_keep_bias(P, rng, kind, spec, options, H, update_bias, chrono)
    return Cell(kind, I, H, {n: v.astype(dtype) for n, v in P.items()}, options)


def _options(kind: str, spec, nonlinearity: str, mix: str | None, reset: str | None) -> dict:
    """The cell's options (RNN nonlinearity; GRU-family mix and reset placement), checked."""
    options = dict(spec.defaults)
    if kind == "rnn":
        options["nonlinearity"] = V.one_of("nonlinearity", nonlinearity, ("tanh", "relu"))
    if "mix" in options:
        options["mix"] = V.one_of("mix", mix or options["mix"], ("torch", "wiki"))
        options["reset"] = V.one_of("reset", reset or options["reset"], ("after", "before"))
    elif mix is not None or reset is not None:
        raise V.bad("mix/reset", (mix, reset), "None for a cell outside the GRU family")
    return options


def _init_recurrent(weight_hh: np.ndarray, rng, blocks: int, H: int, init: str, scale: float | None) -> None:
    """In place: each H x H block of weight_hh orthogonal / Gaussian per `init`, then rescaled to sigma_max `scale`."""
    if scale is not None:
        scale = V.finite_float("scale", scale, 0.0, 100.0)
    elif init == "orthogonal":
        scale = 1.0
    for j in range(blocks):
        blk = weight_hh[j * H:(j + 1) * H]
        if init == "orthogonal":
            blk[:] = _orthogonal(rng, H)
        elif init == "gaussian":
            blk[:] = rng.standard_normal((H, H)) / np.sqrt(H)
        if scale is not None:
            blk[:] = _rescale(blk, scale)


def _init_keep_bias(P: dict, rng, kind: str, spec, options: dict, H: int, update_bias: float,
                    chrono: int | None) -> None:
    """In place: chrono init (keep bias log U[1, T_max - 1]) and/or `update_bias` on the keep gate's bias."""
    update_bias = V.finite_float("update_bias", update_bias, -100.0, 100.0)
    if chrono is not None:
        chrono = V.int_in("chrono", chrono, 2, 10 * V.MAX_STEPS)
    if update_bias == 0.0 and chrono is None:
        return
    gate = spec.keep_gate
    if gate is None or gate not in spec.bias_blocks:
        raise V.bad("update_bias/chrono", (update_bias, chrono), f"0 and None for {kind!r}: it has no keep-gate bias")
    sign = spec.keep_sign if "mix" not in options else (1 if options["mix"] == "torch" else -1)
    j = spec.bias_blocks.index(gate)
    keep = slice(j * H, (j + 1) * H)
    if chrono is not None:
        b = np.log(rng.uniform(1.0, chrono - 1.0, H)) if chrono > 2 else np.zeros(H)
        P["bias_ih"][keep], P["bias_hh"][keep] = sign * b, 0.0
        if kind == "lstm":
            P["bias_ih"][0:H], P["bias_hh"][0:H] = -b, 0.0
    P["bias_ih"][keep] += sign * update_bias


def stack_cells(cells: list[Cell]) -> Cell:
    """B cells of one kind and size (different settings) as one stack: every parameter gets a leading (B, ...) axis."""
    if not cells:
        raise V.bad("cells", cells, "a non-empty list of cells")
    first = cells[0]
    for c in cells:
        if c.batch is not None:
            raise V.bad("cells", "a stack", "single cells")
        if (c.kind, c.input_size, c.hidden_size, c.options) != (first.kind, first.input_size, first.hidden_size, first.options):
            raise V.bad("cells", f"{c.kind} {c.input_size}x{c.hidden_size} {c.options}",
                        f"cells of one kind, size and options like the first ({first.kind} {first.input_size}x{first.hidden_size})")
    V.int_in("len(cells)", len(cells), 1, V.MAX_BATCH)
    return Cell(first.kind, first.input_size, first.hidden_size,
                {n: np.stack([c.params[n] for c in cells]) for n in PARAM_NAMES}, dict(first.options))
