"""Gate explorer: the page's settings, its cached compute and the words that read its numbers (no drawing here).

Settings (defaults, limits and presets in one place; URL name "ge_" + field) -> ``compute`` (cached on the plain
values) -> ``Result`` (the run with and without the intervention, gate saturation) and, for the one-unit GRU,
``fixed_point_map`` -> ``MapResult`` (the map h -> f(h) at a constant input, its fixed points, a cobweb).
The sentences are chosen from those numbers; tests pin the thresholds.
"""
from __future__ import annotations

import math
from dataclasses import astuple, dataclass, replace

import numpy as np

import gru_core
from lab import inside_gru as G
from lab.cache import engine_cache

EPS = 0.05                         # "saturated": within EPS of 0 or 1
MAP_STEPS = 40                     # length of the cobweb trajectory
MODES = {"scalar": "Scalar GRU (1 unit)", "multi": "Multi-unit GRU"}
CLAMP_R = {"off": "free", "1": "r = 1 (see all of h)", "0": "r = 0 (ignore h)"}
FORCE = {"none": "nothing", "z": "z", "r": "r"}
MODEL_NOTES = {"scalar": "**One-unit GRU**: z = σ(W_z x + U_z h + b_z), r = σ(W_r x + U_r h + b_r), "
                         "n = tanh(W_n x + U_n (r·h) + b_n), h′ = (1 − z)·n + z·h",
               "multi": "**Multi-unit GRU**: PyTorch's default weights (from the seed), each block scaled, each "
                        "gate's bias shifted"}
BLOCK_LABELS = {"ir": "W_ir (input → r)", "iz": "W_iz (input → z)", "in": "W_in (input → n)",
                "hr": "W_hr (h → r)", "hz": "W_hz (h → z)", "hn": "W_hn (h → n)"}
INTERVENTION_HINT = ("**Interventions** (above): clamp z or r, or force a gate at one step, to compare the run with "
                     "its untouched twin here. **Make it an RNN** clamps z = 0 and r = 1: the update path "
                     "disappears and the GRU becomes a plain RNN.")
VIEWS = {   # the page's tabs per mode (URL word -> label); only the open one is drawn
    "scalar": {"time": "Over time", "map": "Memory as a fixed point", "effect": "Effect of the intervention",
               "gates": "Gate saturation"},
    "multi": {"time": "Gates over time", "states": "States over time", "effect": "Effect of the intervention",
              "gates": "Gate saturation"},
}
SCALAR_KEYS = ("wz", "uz", "bz", "wr", "ur", "br", "wn", "un", "bn")   # scalar_gru's argument order
BLOCK_KEYS = tuple(f"s_{b}" for b in G.BLOCKS)
BIAS_KEYS = ("b_r", "b_z", "b_n")


@dataclass(frozen=True)
class Slider:
    key: str              # Settings field; URL "ge_<key>"
    label: str
    lo: float
    hi: float
    step: float
    help: str = ""


# Defaults: memory held by the update gate. At x = 0, z = sigmoid(4) = 0.98 keeps the state; an input of 1 opens
# the write (z = sigmoid(-4) = 0.02). U_n = 0.8 < 1 keeps the candidate monostable, so clamping z = 0, r = 1 (a
# plain tanh RNN) forgets the impulse within a few steps. The "bistable latch" preset (U_n = 3) shows the other
# way to remember: two stable fixed points, which even the plain RNN keeps.
SCALAR_SLIDERS = (
    Slider("wz", "W_z (input → z)", -10.0, 10.0, 0.1, "How the input moves the update gate. Negative: a large "
                                                      "input lowers z and so writes the candidate."),
    Slider("uz", "U_z (h → z)", -6.0, 6.0, 0.1, "How the state itself moves the update gate."),
    Slider("bz", "b_z (z bias)", -6.0, 6.0, 0.1, "Positive: z near 1, the unit keeps its state."),
    Slider("wr", "W_r (input → r)", -6.0, 6.0, 0.1, "How the input moves the reset gate."),
    Slider("ur", "U_r (h → r)", -6.0, 6.0, 0.1, "How the state moves the reset gate."),
    Slider("br", "b_r (r bias)", -6.0, 6.0, 0.1, "Positive: r near 1, the candidate sees the old state."),
    Slider("wn", "W_n (input → n)", -6.0, 6.0, 0.1, "How strongly the input drives the candidate."),
    Slider("un", "U_n (h → n)", -6.0, 6.0, 0.1, "How strongly the (reset) old state drives the candidate; above "
                                               "about 1 the unit can hold two states on its own."),
    Slider("bn", "b_n (n bias)", -6.0, 6.0, 0.1, "Shifts the candidate up or down."),
    Slider("h0", "Initial state h₀", -1.0, 1.0, 0.05),
)


@dataclass(frozen=True)
class Settings:
    """Everything that decides the run (the map's constant input and start are in MapSettings)."""

    mode: str = "scalar"
    wz: float = -8.0
    uz: float = 0.0
    bz: float = 4.0
    wr: float = 0.0
    ur: float = 0.0
    br: float = 3.0
    wn: float = 2.0
    un: float = 0.8
    bn: float = 0.0
    h0: float = 0.0
    hidden: int = 8
    seed: int = 0
    s_ir: float = 1.0
    s_iz: float = 1.0
    s_in: float = 1.0
    s_hr: float = 1.0
    s_hz: float = 1.0
    s_hn: float = 1.0
    b_r: float = 0.0
    b_z: float = 0.0
    b_n: float = 0.0
    signal: str = "impulse"
    len: int = 60
    amp: float = 1.0
    at: int = 15
    clamp_z: bool = False
    z_value: float = 1.0
    clamp_r: str = "off"
    force: str = "none"
    force_t: int = 30
    force_v: float = 0.0

    @property
    def params(self) -> tuple[float, ...]:
        return tuple(float(getattr(self, k)) for k in SCALAR_KEYS)

    @property
    def intervention(self) -> G.Intervention:
        return G.Intervention(clamp_z=float(self.z_value) if self.clamp_z else None,
                              clamp_r=None if self.clamp_r == "off" else float(self.clamp_r),
                              force_gate=None if self.force == "none" else self.force,
                              force_step=int(min(self.force_t, self.len)), force_value=float(self.force_v))


DEFAULTS = Settings()
MULTI_DEFAULT_SIGNAL = "sine"
PRESETS = {   # name -> URL keys it sets (scalar model); every other parameter back to its default
    "Memory held by the update gate (default)": {f"ge_{k}": getattr(DEFAULTS, k) for k in SCALAR_KEYS},
    "Bistable latch (U_n = 3)": {f"ge_{k}": v for k, v in dict(
        zip(SCALAR_KEYS, (-4.0, 0.0, 0.0, 0.0, 0.0, 3.0, 2.0, 3.0, 0.0))).items()},
    "No memory (z = 0.5, U_n = 0.8)": {f"ge_{k}": v for k, v in dict(
        zip(SCALAR_KEYS, (0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 2.0, 0.8, 0.0))).items()},
}
PRESET_BLURBS = {
    "Memory held by the update gate (default)": "z stays near 1 between inputs, so the state is kept; the "
                                                "candidate alone would forget.",
    "Bistable latch (U_n = 3)": "a strong recurrent weight gives two stable states: the unit latches the sign of "
                                "the last strong input, even as a plain RNN.",
    "No memory (z = 0.5, U_n = 0.8)": "the gate keeps half the state each step: the impulse fades in a few steps.",
}


def is_default(s: Settings) -> bool:
    """Settings equal to the page's defaults for their mode (the multi-unit mode's default signal is a sine)."""
    base = DEFAULTS if s.mode == "scalar" else replace(DEFAULTS, mode="multi", signal=MULTI_DEFAULT_SIGNAL)
    return s == base


@dataclass(frozen=True)
class Result:
    """The run with and without the intervention (lab.inside_gru.Comparison: base, run, diff (T,), rnn_h) and the
    share of r and z values near 0 / in between / near 1 (over every step and unit)."""

    settings: Settings
    comparison: G.Comparison
    shares: dict

    @property
    def shown(self) -> G.Run:
        return self.comparison.shown


def _cell(s: Settings) -> gru_core.Cell:
    if s.mode == "scalar":
        return G.scalar_gru(*s.params)
    scales = tuple(float(getattr(s, k)) for k in BLOCK_KEYS)
    return G.scaled_gru(1, s.hidden, s.seed, scales, tuple(float(getattr(s, k)) for k in BIAS_KEYS))


@engine_cache(max_entries=64)
def _compute(values: tuple) -> Result:
    s = Settings(*values)
    at = min(s.at, s.len) - 1
    seed = 0 if s.mode == "scalar" else s.seed
    x = gru_core.signal(s.signal, s.len, 1, seed=seed, at=at, amplitude=s.amp, period=max(s.len / 3, 2.0))
    h0 = [s.h0] if s.mode == "scalar" else None
    cmp_ = G.compare(_cell(s), x, s.intervention, h0=h0)
    run = cmp_.shown
    return Result(s, cmp_, {"r": G.saturation_shares(run.r, EPS), "z": G.saturation_shares(run.z, EPS)})


def compute(s: Settings) -> Result:
    """The run for these settings (cached on the plain values)."""
    return _compute(astuple(s))


# ----------------------------------------------------------------------------------------------- the map
@dataclass(frozen=True)
class MapResult:
    """The one-unit map at constant input x: f (N,) on h_grid (N,), its fixed points, the trajectory traj
    (MAP_STEPS,) from h0 and its cobweb path cob_x, cob_y; z_frozen when z is clamped to 1 (every h is fixed)."""

    x_const: float
    h0: float
    h_grid: np.ndarray
    f: np.ndarray
    fixed: list
    traj: np.ndarray
    cob_x: np.ndarray
    cob_y: np.ndarray
    z_frozen: bool


@engine_cache(max_entries=64)
def _map(params: tuple, x_const: float, h0: float, clamp_z: float | None, clamp_r: float | None) -> MapResult:
    cell = G.scalar_gru(*params)
    h_grid = np.linspace(-1.0, 1.0, 401)
    f = G.scalar_map(cell, x_const, h_grid, clamp_z=clamp_z, clamp_r=clamp_r)
    fixed = G.fixed_points(cell, x_const, clamp_z=clamp_z, clamp_r=clamp_r)
    iv = G.Intervention(clamp_z=clamp_z, clamp_r=clamp_r)
    traj = G.run(cell, np.full((MAP_STEPS, 1), x_const), h0=[h0], override=iv.overrides(MAP_STEPS, 1)).h[:, 0]
    cx, cy = G.cobweb_path(h0, traj)
    return MapResult(x_const, h0, h_grid, f, fixed, traj, cx, cy, clamp_z is not None and clamp_z >= 1.0)


def fixed_point_map(s: Settings, x_const: float, h0: float) -> MapResult:
    """The map of the scalar GRU of ``s`` (with its clamps) at the constant input x_const, cobweb from h0."""
    iv = s.intervention
    return _map(s.params, float(x_const), float(h0), iv.clamp_z, iv.clamp_r)


MAP_SLIDERS = (Slider("xc", "Constant input x for the map", -2.0, 2.0, 0.1,
                      "The map shows what one step does to h when the input is held at this value."),
               Slider("map_h0", "Start of the staircase h₀", -1.0, 1.0, 0.05,
                      "Where the staircase starts (the run above starts at the initial state in the sidebar)."))
MAP_DEFAULTS = {"xc": 0.0, "map_h0": 0.1}


# ----------------------------------------------------------------------------------------------- words
HOLDS = 0.5        # share of its peak a state still holds at the end for "still holds it"
FORGOT = 0.01      # below which it "has forgotten"
LEAK_SLOW = 0.95   # a stable fixed point's slope at or above which memory "leaks slowly"


def held_share(h: np.ndarray, start: int) -> float:
    """|h_T| over the largest |h_t| from the 0-based step ``start`` on (0 when h stayed at 0). h (T,)."""
    after = np.abs(np.asarray(h, dtype=float)[start:])
    peak = float(np.max(after)) if after.size else 0.0
    return float(after[-1] / peak) if peak > 0 and math.isfinite(peak) else 0.0


def memory_words(share: float) -> str:
    """A verb phrase for the share of its peak a state holds at the end."""
    if share >= HOLDS:
        return f"still holds {100 * share:.0f}% of it"
    if share < FORGOT:
        return f"has forgotten it (it keeps {share:.1e} of its peak)"
    return f"is losing it ({100 * share:.0f}% of its peak is left)"


def _peak(h: np.ndarray) -> float:
    """The value of largest magnitude in h (T,)."""
    return float(h[int(np.argmax(np.abs(h)))]) if h.size else 0.0


def story(res: Result) -> str | None:
    """What h did after the impulse or step, from the numbers (None for sine and noise inputs, or several units)."""
    s = res.settings
    if s.signal not in ("impulse", "step") or s.mode != "scalar":
        return None
    at = min(s.at, s.len)
    h = res.shown.h[at - 1:, 0]
    who = "With the intervention the GRU" if s.intervention.active else "The GRU"
    return (f"{who} reached h = {_peak(h):.2f} after the {s.signal} at t = {at}; at the last step (t = {s.len}) "
            f"h = {h[-1]:.2f}: it {memory_words(held_share(h, 0))}.")


def rnn_words(res: Result) -> str:
    """What "Make it an RNN" shows, from the numbers: the identity, and whether the plain RNN remembers."""
    c, s = res.comparison, res.settings
    gap = float(np.max(np.abs(c.rnn_h - c.run.h))) if c.rnn_h is not None else float("nan")
    at = min(s.at, s.len) - 1 if s.signal in ("impulse", "step") else 0
    rnn, gru = held_share(c.run.h[at:, 0], 0), held_share(c.base.h[at:, 0], 0)
    text = (f"z = 0 and r = 1 at every step: the GRU is now exactly a tanh RNN, h_t = tanh(W_in x_t + b_in + "
            f"W_hn h_t−1 + b_hn); a plain tanh RNN with those weights gives the same states (largest "
            f"difference {'exactly 0' if gap == 0 else f'{gap:.1e}'}).")
    if s.mode != "scalar" or s.signal not in ("impulse", "step"):
        return text
    text += f" After the {s.signal} the RNN {memory_words(rnn)}; the GRU without the clamps {memory_words(gru)}."
    if rnn >= HOLDS and abs(s.un) > 1:
        text += (f" The RNN remembers here only because |U_n| = {abs(s.un):.1f} > 1 makes it bistable: two stable "
                 f"states, a latch (see the map below).")
    return text


def half_life(slope: float) -> float:
    """Steps until a deviation from a fixed point with this slope has halved (inf for |slope| >= 1, 0 for 0)."""
    a = abs(slope)
    if a >= 1.0:
        return math.inf
    return 0.0 if a == 0 else math.log(0.5) / math.log(a)


def map_words(m: MapResult) -> str:
    """The fixed points of the map, read in words chosen from their number and slopes."""
    if m.z_frozen:
        return "With z held at 1 every state is a fixed point: the map is the diagonal and h never moves."
    stable = [p for p in m.fixed if p.stable]
    listed = "; ".join(f"h* = {p.h:.3f}, {'stable' if p.stable else 'unstable'} (slope {p.slope:.3f})"
                       for p in m.fixed)
    head = f"**{len(m.fixed)} fixed point{'s' if len(m.fixed) != 1 else ''}**: {listed}."
    if len(stable) >= 2:
        worst = max(abs(p.slope) for p in stable)
        return (f"{head} Two stable states make the unit a **latch**: it remembers which side it was last pushed "
                f"to. But at a latch the slope is at most {worst:.2f}: a small nudge is gone within "
                f"{max(1, math.ceil(half_life(worst)))} step(s), and so is the gradient flowing back through it; "
                f"a latch keeps one bit but gives learning little to work with (Bengio et al. 1994).")
    if len(stable) == 1:
        p = stable[0]
        if abs(p.slope) >= LEAK_SLOW:
            return (f"{head} Every state drifts back to it, but **slowly**: each step keeps {100 * abs(p.slope):.1f}% "
                    f"of the distance (half of it is gone after about {half_life(p.slope):.0f} steps). Memory here "
                    f"is a slope near 1, held by the update gate.")
        return (f"{head} Every state falls back to it **quickly** (half the distance is gone after "
                f"{max(1, math.ceil(half_life(p.slope)))} step(s)): no lasting memory.")
    return head


def staircase_words(m: MapResult) -> str:
    return (f"The staircase starts at h₀ = {m.h0:.2f} and ends at h = {m.traj[-1]:.3f} after {MAP_STEPS} steps.")


def download_columns(res: Result) -> dict[str, np.ndarray]:
    """The shown run as CSV columns: t, x, then r, z, n, h of every unit."""
    run = res.shown
    cols = {"t": np.arange(1, run.steps + 1), "x": run.x[:, 0]}
    cols.update({f"{g}_unit{j + 1}": getattr(run, g)[:, j] for g in ("r", "z", "n", "h") for j in range(run.h.shape[1])})
    return cols
