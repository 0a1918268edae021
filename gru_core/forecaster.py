"""A recurrent forecaster: a GRU, LSTM or RNN reads a window of W past values and a linear readout gives the next
h values at once; trained on sliding windows with Adam; opened up with the engine (update gates, exact input
sensitivities). Synchronous and plain: no threads, no Streamlit.

    from gru_core import forecaster as F, series as S
    problem = F.Problem.make(S.load("co2").values, horizon=24, window=36, period=12)
    config = F.FitConfig(steps=400, seed=0)
    fit = F.train(problem, config, {"gru": F.hidden_for_budget("gru", 4000, 24)})     # a gru_core.training.Fit
    params = fit.runs["gru"].view().snapshots[-1].params
    F.forecast(params, problem)                 # (h,) forecast of the held-out part, in the series' units
    F.inside(params, problem)                   # gates (W, H), |d forecast_k / d x_t| (W,)

Shapes: the network reads x (W, B, 1) (time first, as nn.GRU) and returns (B, h).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import series as S
from . import training as T
from .interop import from_torch
from .record import record

KINDS = ("rnn", "gru", "lstm")


# ---------------------------------------------------------------------------------------------------------------
# The problem: one series, its split and its training windows

@dataclass(frozen=True)
class Problem:
    """train (N - h,), test (h,), windows of the training part, the last input window (W,) for the forecast."""
    train: np.ndarray = field(repr=False)
    test: np.ndarray = field(repr=False)
    windows: S.Windows = field(repr=False)
    window: int
    horizon: int
    period: int

    @classmethod
    def make(cls, values: np.ndarray, horizon: int, window: int, period: int) -> "Problem":
        train, test = S.split(np.asarray(values, dtype=float), horizon)
        return cls(train, test, S.windows(train, window, horizon), window, horizon, period)

    @property
    def last_window(self) -> np.ndarray:
        """The network's input for the forecast of the held-out part, (W,) level-relative and scaled."""
        return S.relative(self.train[-self.window:], self.windows.scale)


# ---------------------------------------------------------------------------------------------------------------
# The network

def parameter_count(kind: str, hidden_size: int, horizon: int, input_size: int = 1) -> int:
    """Recurrent layer (gru_core.parameter_count: PyTorch's two bias vectors) + the linear readout (H -> h)."""
    from .layers import parameter_count as layer_count
    return layer_count(kind, input_size, hidden_size) + hidden_size * horizon + horizon


def hidden_for_budget(kind: str, budget: int, horizon: int) -> int:
    """The largest hidden size whose network has at most `budget` parameters (at least 1)."""
    H = 1
    while parameter_count(kind, H + 1, horizon) <= budget:
        H += 1
    return H


def _torch():
    import torch
    return torch


def recurrent_layer(kind: str, hidden_size: int, input_size: int = 1):
    """nn.RNN / nn.GRU / nn.LSTM, time first. gru_core.layer(kind, input_size, hidden_size) is a drop-in (same
    parameter names, same init after the same torch.manual_seed, same loss to 1e-7 here) but measured slower at
    this size (T = 36, B = 64, H 27-50, one thread): GRU 1.0-1.6x, LSTM 3-6x, RNN 6-10x PyTorch's fused layers'
    time per step, so the live page keeps the fused ones."""
    nn = _torch().nn
    return {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind](input_size, hidden_size)


def build_network(kind: str, hidden_size: int, horizon: int, seed: int):
    """The forecaster module: recurrent layer + readout of the last hidden state. forward(x (W, B, 1)) -> (B, h)."""
    torch = _torch()
    torch.manual_seed(seed)

    class Forecaster(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = recurrent_layer(kind, hidden_size)
            self.head = torch.nn.Linear(hidden_size, horizon)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.head(out[-1])

    return Forecaster().float()      # float32 whatever torch's default dtype (the training windows are float32)


def params_of(net) -> dict[str, np.ndarray]:
    """The module's weights as plain float64 arrays under PyTorch's names (rnn.weight_ih_l0, head.weight, ...)."""
    return {k: v.detach().double().numpy().copy() for k, v in net.state_dict().items()}


def network_from(params: dict[str, np.ndarray], kind: str):
    """Rebuild the module (float64) from `params_of` arrays."""
    torch = _torch()
    H, h = params["head.weight"].shape[1], params["head.weight"].shape[0]
    net = build_network(kind, H, h, seed=0).double()
    net.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float64)) for k, v in params.items()})
    return net


def forecast(params: dict[str, np.ndarray], problem: Problem) -> np.ndarray:
    """The network's forecast of the held-out part, (h,), in the series' units."""
    return net_forecast(network_from(params, kind_of(params)), problem)


def net_forecast(net, problem: Problem) -> np.ndarray:
    """The module's forecast of the held-out part, (h,), in the series' units."""
    torch = _torch()
    dtype = next(net.parameters()).dtype
    with torch.no_grad():
        out = net(torch.from_numpy(problem.last_window[:, None, None].copy()).to(dtype)).double().numpy()[0]
    return S.unscale(out, problem.train[-1], problem.windows.scale)


def kind_of(params: dict[str, np.ndarray]) -> str:
    """rnn / gru / lstm from the weight shapes (gate rows / hidden size)."""
    rows, H = params["rnn.weight_hh_l0"].shape
    return {1: "rnn", 3: "gru", 4: "lstm"}[rows // H]


# ---------------------------------------------------------------------------------------------------------------
# Training: RNN, GRU, LSTM side by side on the same batches, with gru_core.training

@dataclass(frozen=True)
class FitConfig:
    """Adam on the mean squared error of the scaled, level-relative windows; batch s is the same for every cell.
    The held-out MAE is logged every `eval_every` steps (drawn for the student, never used to choose weights)."""
    steps: int = 300
    lr: float = 0.01
    batch_size: int = 64
    clip: float = 1.0
    seed: int = 0
    eval_every: int = 20

    def training(self) -> T.FitConfig:
        return T.FitConfig(steps=self.steps, lr=self.lr, clip=self.clip, eval_every=self.eval_every,
                           snapshot_every=self.eval_every)


def batch_indices(n_windows: int, config: FitConfig) -> np.ndarray:
    """(steps, batch) indices of training windows, from the seed: identical for every cell."""
    rng = np.random.default_rng(config.seed)
    return rng.integers(0, n_windows, size=(config.steps, min(config.batch_size, n_windows)))


def training_pieces(problem: Problem, config: FitConfig):
    """(batches, loss_fn, evaluate) for gru_core.training: batch s -> (x (W, B, 1), y (B, h)); loss_fn -> (MSE,
    nan); evaluate -> (held-out MAE in the series' units, nan)."""
    torch = _torch()
    X = torch.from_numpy(problem.windows.inputs.T[:, :, None].astype(np.float32))
    Y = torch.from_numpy(problem.windows.targets.astype(np.float32))
    index = batch_indices(len(Y), config)

    def batches(s: int):
        b = torch.from_numpy(index[s])
        return X[:, b], Y[b]

    def loss_fn(model, batch):
        x, y = batch
        return torch.mean((model(x) - y) ** 2), float("nan")

    def evaluate(model) -> tuple[float, float]:
        return S.mae(problem.test, net_forecast(model, problem)), float("nan")

    return batches, loss_fn, evaluate


def make_fit(problem: Problem, config: FitConfig, hidden: dict[str, int]):
    """(fit, batches): a gru_core.training.Fit of one network per kind in `hidden` (kind -> hidden size), not yet
    run (another thread may watch it from step 0); run it with ``fit.run(batches, should_stop=...)``."""
    nets = {k: build_network(k, H, problem.horizon, config.seed) for k, H in hidden.items()}
    batches, loss_fn, evaluate = training_pieces(problem, config)
    return T.Fit(nets, loss_fn, config.training(), evaluate=evaluate), batches


def train(problem: Problem, config: FitConfig, hidden: dict[str, int], should_stop=None) -> T.Fit:
    """Train synchronously; returns the finished Fit (``.runs[kind].view()``: history, snapshots, status)."""
    fit, batches = make_fit(problem, config, hidden)
    return fit.run(batches, should_stop=should_stop)


# ---------------------------------------------------------------------------------------------------------------
# Inside a trained forecaster, with the engine

def input_gradient(trace) -> np.ndarray:
    """dL/dx_t (T, B, I) of an engine trace of an RNN (tanh) or a PyTorch GRU: the total dL/dh_t (trace.grad_h)
    carried through step t's own dependence on x_t (h_{t-1} held), then through W_ih."""
    cell, p = trace.cell, trace.cell.params
    dh = trace.grad_h
    h_prev = np.concatenate([trace.h0[None], trace.h[:-1]])
    if cell.kind == "rnn" and cell.options.get("nonlinearity", "tanh") == "tanh":
        da = dh * (1.0 - trace.h ** 2)                                        # h = tanh(a)
    elif cell.kind == "gru" and (cell.options.get("mix"), cell.options.get("reset")) == ("torch", "after"):
        H = cell.hidden_size
        r, z, n = (trace.gates[g] for g in "rzn")
        hn = h_prev @ p["weight_hh"][2 * H:].T + p["bias_hh"][2 * H:]      # W_hn h_{t-1} + b_hn
        da_n = dh * (1.0 - z) * (1.0 - n ** 2)                               # through n
        da_z = dh * (h_prev - n) * z * (1.0 - z)                             # through z
        da_r = da_n * hn * r * (1.0 - r)                                     # through r
        da = np.concatenate([da_r, da_z, da_n], axis=-1)
    else:
        raise ValueError(f"input_gradient: got a {cell.kind!r} cell {cell.options}; allowed: a tanh RNN or a "
                         "PyTorch GRU")
    return da @ p["weight_ih"]                                                # dL/dx_t = W_ih^T dL/da_t


@dataclass(frozen=True)
class Inside:
    """The trained network on the last input window: gates (name -> (W, H)), h (W, H), forecast_net (h,) the
    network's output, sensitivity (W,) = |d forecast_k / d x_t| in the series' units, for forecast step k."""
    gates: dict[str, np.ndarray]
    h: np.ndarray
    forecast_net: np.ndarray
    sensitivity: np.ndarray
    step: int


def inside(params: dict[str, np.ndarray], problem: Problem, step: int = 1) -> Inside:
    """Engine trace of the window the held-out forecast reads; the exact |d forecast_step / d x_t|, t = 1..W.

    The network sees u_t = (x_t - x_W) / s and forecasts x_W + s f(u), so d forecast / d x_t = df/du_t for t < W and
    1 + df/du_W - sum_t df/du_t at the last step (which sets the level)."""
    kind = kind_of(params)
    cell = from_torch(network_from(params, kind).rnn)
    A, b = params["head.weight"], params["head.bias"]
    u = problem.last_window[:, None]
    g = np.zeros((problem.window, 1, cell.hidden_size))
    g[-1, 0] = A[step - 1]                                  # L = A_k . h_W: the readout of forecast step k
    trace = record(cell, u, loss=g)
    h = trace.h[:, 0]
    grad = input_gradient(trace)[:, 0, 0] if kind != "lstm" else np.full(problem.window, np.nan)
    total = grad.copy()
    total[-1] = 1.0 + grad[-1] - grad.sum()
    gates = {k: v[:, 0] for k, v in trace.gates.items()}
    return Inside(gates, h, h[-1] @ A.T + b, np.abs(total), step)
