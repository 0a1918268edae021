"""PyTorch references the engine tests compare against (float64 autograd, never the engine's own code)."""
from __future__ import annotations

import numpy as np
import torch



def T(a) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def stepped_grads(step_fn, x: np.ndarray, h0, loss: str | np.ndarray):
    """Step `step_fn(x_t, state) -> (h_t, state)` over x (T, B, I) with retain_grad() on every h_t, backprop the
    loss and return (h (T, B, H), dL/dh_t (T, B, H)) as numpy. The total gradient, as the guide prescribes."""
    xs = T(x).requires_grad_()          # so every h_t is in the graph even when no weight requires grad
    state = h0
    hs = []
    for t in range(xs.shape[0]):
        h, state = step_fn(xs[t], state)
        h.retain_grad()
        hs.append(h)
    if isinstance(loss, str):
        L = 0.5 * (hs[-1] ** 2).sum() if loss == "last" else sum(0.5 * (h ** 2).sum() for h in hs)
    else:
        g = T(loss)
        L = sum((g[t] * h).sum() for t, h in enumerate(hs))
    L.backward()
    return (torch.stack([h.detach() for h in hs]).numpy(), torch.stack([h.grad for h in hs]).numpy())


def gru_family_step(P: dict, H: int, gates_see: str, mix: str, reset: str):
    """The reference equations of the GRU family written directly in torch (gru-science.md), with biases as the
    engine lays them out (rows r, z, n for present blocks)."""
    def split(W, blocks):
        return {name: W[k * H:(k + 1) * H] for k, name in enumerate(blocks)}
    gb = ("r", "z")
    Wi = split(T(P["weight_ih"]), (gb if "x" in gates_see else ()) + ("n",))
    Wh = split(T(P["weight_hh"]), (gb if "h" in gates_see else ()) + ("n",))
    bi = split(T(P["bias_ih"]), (gb if "b" in gates_see else ()) + ("n",))
    bh = split(T(P["bias_hh"]), (gb if "b" in gates_see else ()) + ("n",))

    def pre(g, x, h):
        a = 0
        if g in Wi:
            a = a + x @ Wi[g].T
        if g in Wh:
            a = a + h @ Wh[g].T
        if g in bi:
            a = a + bi[g] + bh[g]
        return a if torch.is_tensor(a) else torch.zeros_like(h)

    def step(x, h):
        r = torch.sigmoid(pre("r", x, h))
        z = torch.sigmoid(pre("z", x, h))
        if reset == "after":
            n = torch.tanh(x @ Wi["n"].T + bi["n"] + r * (h @ Wh["n"].T + bh["n"]))
        else:
            n = torch.tanh(x @ Wi["n"].T + bi["n"] + (r * h) @ Wh["n"].T + bh["n"])
        h_new = (1 - z) * n + z * h if mix == "torch" else (1 - z) * h + z * n
        return h_new, h_new
    return step


def mgu_step(P: dict, H: int):
    Wi, Wh, b = T(P["weight_ih"]), T(P["weight_hh"]), T(P["bias_ih"]) + T(P["bias_hh"])

    def step(x, h):
        f = torch.sigmoid(x @ Wi[:H].T + h @ Wh[:H].T + b[:H])
        n = torch.tanh(x @ Wi[H:].T + (f * h) @ Wh[H:].T + b[H:])
        h_new = (1 - f) * h + f * n
        return h_new, h_new
    return step
