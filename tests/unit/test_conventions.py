"""The GRU conventions the step-through page switches between, checked against PyTorch.

- PyTorch mix + reset after: the engine equals torch.nn.GRU (outputs, gates via GRUCell algebra, dL/dh_t).
- The other three forms: the engine equals PyTorch autograd of the equations written out in torch (gru-science.md).
- The page's relabelling (negate the z rows) turns PyTorch mixing into Chung/Wikipedia mixing with identical h and
  z' = 1 - z; moving the reset is NOT a relabelling (different h).
- The identity pinned for the gate explorer: a GRU with z clamped to 0 and r clamped to 1 is exactly a tanh RNN
  (nn.RNN with W_ih = W_in, W_hh = W_hn, b_ih = b_in, b_hh = b_hn).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import gru_core
from lab import inside_gru as G

TORCH_FLOAT64 = True  # tests/conftest.py runs this module's tests with torch's default dtype float64

CONVENTIONS = [("torch", "after"), ("torch", "before"), ("wiki", "after"), ("wiki", "before")]


def _t(a) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def _autograd_gru(P: dict, H: int, x: np.ndarray, h0: np.ndarray, mix: str, reset: str):
    """h_t and total dL/dh_t (L = 0.5 |h_T|^2) of the GRU equations written directly in torch, stepped with
    retain_grad on every h_t. x (T, B, I), h0 (B, H)."""
    W_ih, W_hh, b_ih, b_hh = (_t(P[k]) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    Wr, Wz, Wn = W_ih[:H], W_ih[H:2 * H], W_ih[2 * H:]
    Ur, Uz, Un = W_hh[:H], W_hh[H:2 * H], W_hh[2 * H:]
    bir, biz, bin_ = b_ih[:H], b_ih[H:2 * H], b_ih[2 * H:]
    bhr, bhz, bhn = b_hh[:H], b_hh[H:2 * H], b_hh[2 * H:]
    h = _t(h0).requires_grad_()          # so every h_t is in the graph (no weight requires grad)
    hs, gates = [], {"r": [], "z": [], "n": []}
    for xt in _t(x):
        r = torch.sigmoid(xt @ Wr.T + bir + h @ Ur.T + bhr)
        z = torch.sigmoid(xt @ Wz.T + biz + h @ Uz.T + bhz)
        if reset == "after":
            n = torch.tanh(xt @ Wn.T + bin_ + r * (h @ Un.T + bhn))
        else:
            n = torch.tanh(xt @ Wn.T + bin_ + (r * h) @ Un.T + bhn)
        h = (1 - z) * n + z * h if mix == "torch" else (1 - z) * h + z * n
        h.retain_grad()
        hs.append(h)
        for k, v in (("r", r), ("z", z), ("n", n)):
            gates[k].append(v.detach())
    (0.5 * (hs[-1] ** 2).sum()).backward()
    return (torch.stack([v.detach() for v in hs]).numpy(), torch.stack([v.grad for v in hs]).numpy(),
            {k: torch.stack(v).numpy() for k, v in gates.items()})


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    T, B, I = 12, 3, 2
    return rng.normal(size=(T, B, I)), rng.uniform(-0.8, 0.8, size=(B, 4))


@pytest.mark.parametrize("mix,reset", CONVENTIONS)
def test_engine_matches_pytorch_autograd_in_every_convention(mix, reset, data):
    x, h0 = data
    cell = gru_core.make_cell("gru", 2, 4, seed=3, mix=mix, reset=reset)
    tr = gru_core.record(cell, x, loss="last", h0=h0)
    h_ref, g_ref, gates_ref = _autograd_gru(cell.params, 4, x, h0, mix, reset)
    np.testing.assert_allclose(tr.h, h_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(tr.grad_h, g_ref, rtol=1e-10, atol=1e-13)
    for g in ("r", "z", "n"):
        np.testing.assert_allclose(tr.gates[g], gates_ref[g], rtol=0, atol=1e-12)


def test_pytorch_convention_is_torch_nn_gru(data):
    """The default form (mix torch, reset after) is exactly what torch.nn.GRU computes."""
    x, h0 = data
    cell = gru_core.make_cell("gru", 2, 4, seed=11)
    module = cell.to_torch()
    with torch.no_grad():
        out, _ = module(_t(x), _t(h0)[None])
    np.testing.assert_allclose(gru_core.record(cell, x, h0=h0).h, out.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("reset", ["after", "before"])
def test_mix_relabelling_gives_the_same_model_with_z_mirrored(reset, data):
    """Negating W_iz, W_hz, b_iz, b_hz turns PyTorch mixing into Chung/Wikipedia mixing: same h, z' = 1 - z."""
    x, h0 = data
    torch_cell = G.with_reset(gru_core.make_cell("gru", 2, 4, seed=5), reset)
    wiki_cell = G.relabel_mix(torch_cell, "wiki")
    assert wiki_cell.options["mix"] == "wiki"
    a = gru_core.record(torch_cell, x, h0=h0)
    b = gru_core.record(wiki_cell, x, h0=h0)
    np.testing.assert_allclose(b.h, a.h, rtol=0, atol=1e-14)
    np.testing.assert_allclose(b.gates["z"], 1.0 - a.gates["z"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(b.gates["r"], a.gates["r"], rtol=0, atol=1e-15)
    np.testing.assert_allclose(b.grad_h, a.grad_h, rtol=1e-10, atol=1e-14)
    # and the relabelled weights, run through PyTorch autograd of the wiki equations, agree too
    h_ref, _, _ = _autograd_gru(wiki_cell.params, 4, x, h0, "wiki", reset)
    np.testing.assert_allclose(a.h, h_ref, rtol=0, atol=1e-12)
    # relabelling back is the identity on the parameters
    back = G.relabel_mix(wiki_cell, "torch")
    for k in back.params:
        np.testing.assert_array_equal(back.params[k], torch_cell.params[k])


def test_reset_placement_is_not_a_relabelling(data):
    """Same weights, reset after vs before the matmul: different states (the page says: not equivalent)."""
    x, h0 = data
    cell = gru_core.make_cell("gru", 2, 4, seed=5)
    after = gru_core.record(cell, x, h0=h0).h
    before = gru_core.record(G.with_reset(cell, "before"), x, h0=h0).h
    assert np.max(np.abs(after - before)) > 1e-2


def test_convention_runs_hold_all_four_forms(data):
    x, _ = data
    runs = G.convention_runs(gru_core.make_cell("gru", 2, 4, seed=2), x[:, 0])
    assert set(runs) == set(CONVENTIONS)
    for reset in ("after", "before"):
        np.testing.assert_allclose(runs[("wiki", reset)].h, runs[("torch", reset)].h, atol=1e-14)
        np.testing.assert_allclose(runs[("wiki", reset)].z, 1 - runs[("torch", reset)].z, atol=1e-14)
    assert np.max(np.abs(runs[("torch", "after")].h - runs[("torch", "before")].h)) > 1e-3


@pytest.mark.parametrize("reset", ["after", "before"])
def test_gru_with_z_clamped_to_0_and_r_to_1_is_exactly_a_tanh_rnn(reset, data):
    """The identity the gate explorer shows: z = 0, r = 1 at every step leaves h_t = tanh(W_in x + b_in + W_hn h +
    b_hn), i.e. torch.nn.RNN with W_ih = W_in, W_hh = W_hn, b_ih = b_in, b_hh = b_hn (both reset placements)."""
    x, h0 = data
    cell = G.with_reset(gru_core.make_cell("gru", 2, 4, seed=9), reset)
    T, B, H = x.shape[0], x.shape[1], 4
    ov = {"z": np.zeros((T, B, H)), "r": np.ones((T, B, H))}
    gru_h = gru_core.record(cell, x, h0=h0, override=ov).h
    rnn = G.rnn_equivalent(cell)
    np.testing.assert_allclose(gru_h, gru_core.record(rnn, x, h0=h0).h, rtol=0, atol=1e-15)
    module = torch.nn.RNN(2, H, nonlinearity="tanh")
    with torch.no_grad():
        for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(module, k + "_l0").copy_(_t(rnn.params[k]))
        out, _ = module(_t(x), _t(h0)[None])
    np.testing.assert_allclose(gru_h, out.numpy(), rtol=0, atol=1e-14)
    # and the identity really needs both clamps: z free or r free gives a different model
    assert np.max(np.abs(gru_core.record(cell, x, h0=h0, override={"r": ov["r"]}).h - gru_h)) > 1e-3
    assert np.max(np.abs(gru_core.record(cell, x, h0=h0, override={"z": ov["z"]}).h - gru_h)) > 1e-6


def test_compare_reports_the_rnn_identity_for_the_preset():
    x = gru_core.signal("sine", 40, 1)
    cell = G.scaled_gru(1, 6, 0, (2, 2, 2, 2, 2, 2), (0, 1, 0))
    c = G.compare(cell, x, G.Intervention(clamp_z=0.0, clamp_r=1.0))
    assert c.rnn_h is not None
    np.testing.assert_allclose(c.run.h, c.rnn_h, rtol=0, atol=1e-15)
    assert c.diff.max() > 1e-3                                   # and it differs from the free GRU
    assert G.compare(cell, x, G.Intervention(clamp_z=0.0)).rnn_h is None
