"""The engine against PyTorch in float64: outputs, every gate and the total dL/dh_t agree to 1e-10."""
import numpy as np
import pytest
import torch

import gru_core
from torch_oracle import T, gru_family_step, mgu_step, stepped_grads

TORCH_FLOAT64 = True  # tests/conftest.py runs this module's tests with torch's default dtype float64

TOL = 1e-10
SHAPES = [  # (T, B, I, H)
    (1, 1, 1, 1), (1, 3, 2, 4), (12, 1, 1, 1), (25, 1, 3, 8), (17, 4, 2, 5), (40, 2, 8, 16)]


def close(a, b, tol=TOL):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def sequence(T_, B, I, seed):
    return np.random.default_rng(seed).standard_normal((T_, B, I))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("large", [False, True])
def test_gru_matches_nn_gru_outputs_gates_and_stepped_gradients(shape, large):
    T_, B, I, H = shape
    cell = gru_core.make_cell("gru", I, H, seed=3, init="gaussian" if large else "pytorch",
                              scale=2.5 if large else None)
    if large:  # large weights everywhere: saturated gates
        cell.params["weight_ih"] *= 4.0
    x = sequence(T_, B, I, 1)
    h0 = np.random.default_rng(2).standard_normal((B, H)) * 0.5
    for loss in ("last", "all", np.random.default_rng(4).standard_normal((T_, B, H))):
        tr = gru_core.record(cell, x, loss=loss, h0=h0)
        gru = cell.to_torch()
        out, _ = gru(T(x), T(h0)[None])
        close(tr.h, out.detach().numpy())
        gcell = cell.to_torch(cell_module=True)
        h_ref, g_ref = stepped_grads(lambda xt, h: (gcell(xt, h),) * 2, x, T(h0), loss)
        close(tr.h, h_ref)
        close(tr.grad_h, g_ref)
    # every gate, from PyTorch's own weight layout
    W_ih, W_hh = gru.weight_ih_l0.detach(), gru.weight_hh_l0.detach()
    b_ih, b_hh = gru.bias_ih_l0.detach(), gru.bias_hh_l0.detach()
    h_prev = np.concatenate([h0[None], tr.h[:-1]])
    gi = T(x) @ W_ih.T + b_ih
    gh = T(h_prev) @ W_hh.T + b_hh
    r = torch.sigmoid(gi[..., :H] + gh[..., :H])
    z = torch.sigmoid(gi[..., H:2 * H] + gh[..., H:2 * H])
    n = torch.tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:])
    close(tr.gates["r"], r.numpy())
    close(tr.gates["z"], z.numpy())
    close(tr.gates["n"], n.numpy())


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_matches_nn_rnn_and_stepped_gradients(shape, nonlinearity):
    T_, B, I, H = shape
    cell = gru_core.make_cell("rnn", I, H, seed=5, nonlinearity=nonlinearity, init="orthogonal", scale=1.3)
    x = sequence(T_, B, I, 6)
    for loss in ("last", "all"):
        tr = gru_core.record(cell, x, loss=loss)
        out, _ = cell.to_torch()(T(x))
        close(tr.h, out.detach().numpy())
        rcell = cell.to_torch(cell_module=True)
        h_ref, g_ref = stepped_grads(lambda xt, h: (rcell(xt, h),) * 2, x, torch.zeros(B, H), loss)
        close(tr.grad_h, g_ref)


@pytest.mark.parametrize("shape", SHAPES)
def test_lstm_matches_nn_lstm_gates_and_stepped_gradients(shape):
    T_, B, I, H = shape
    cell = gru_core.make_cell("lstm", I, H, seed=7, chrono=50)
    x = sequence(T_, B, I, 8)
    for loss in ("last", "all"):
        tr = gru_core.record(cell, x, loss=loss)
        lstm = cell.to_torch()
        out, (hT, cT) = lstm(T(x))
        close(tr.h, out.detach().numpy())
        close(tr.gates["c"][-1], cT[0].detach().numpy())
        lcell = cell.to_torch(cell_module=True)

        def step(xt, state):
            h, c = lcell(xt, state)
            return h, (h, c)
        h_ref, g_ref = stepped_grads(step, x, (torch.zeros(B, H), torch.zeros(B, H)), loss)
        close(tr.grad_h, g_ref)
    W_ih, W_hh = lstm.weight_ih_l0.detach(), lstm.weight_hh_l0.detach()
    b = lstm.bias_ih_l0.detach() + lstm.bias_hh_l0.detach()
    h_prev = np.concatenate([np.zeros((1, B, H)), tr.h[:-1]])
    a = T(x) @ W_ih.T + T(h_prev) @ W_hh.T + b
    for k, name in enumerate("ifgo"):
        ref = torch.tanh(a[..., k * H:(k + 1) * H]) if name == "g" else torch.sigmoid(a[..., k * H:(k + 1) * H])
        close(tr.gates[name], ref.numpy())


VARIANTS = [("gru_type1", "hb"), ("gru_type2", "h"), ("gru_type3", "b")]


@pytest.mark.parametrize("kind,gates_see", VARIANTS)
@pytest.mark.parametrize("shape", SHAPES[1:])
def test_variants_match_autograd_of_their_equations(kind, gates_see, shape):
    T_, B, I, H = shape
    cell = gru_core.make_cell(kind, I, H, seed=11)
    x = sequence(T_, B, I, 12)
    for loss in ("last", "all"):
        tr = gru_core.record(cell, x, loss=loss)
        step = gru_family_step(cell.params, H, gates_see, mix="wiki", reset="before")
        h_ref, g_ref = stepped_grads(step, x, torch.zeros(B, H), loss)
        close(tr.h, h_ref)
        close(tr.grad_h, g_ref)


@pytest.mark.parametrize("shape", SHAPES[1:])
def test_mgu_matches_autograd_of_its_equations(shape):
    T_, B, I, H = shape
    cell = gru_core.make_cell("mgu", I, H, seed=13, update_bias=1.0)
    x = sequence(T_, B, I, 14)
    for loss in ("last", "all"):
        tr = gru_core.record(cell, x, loss=loss)
        h_ref, g_ref = stepped_grads(mgu_step(cell.params, H), x, torch.zeros(B, H), loss)
        close(tr.h, h_ref)
        close(tr.grad_h, g_ref)


@pytest.mark.parametrize("mix", ["torch", "wiki"])
@pytest.mark.parametrize("reset", ["after", "before"])
def test_gru_conventions_match_autograd_of_their_equations(mix, reset):
    cell = gru_core.make_cell("gru", 3, 6, seed=15, mix=mix, reset=reset, update_bias=0.5)
    x = sequence(30, 2, 3, 16)
    tr = gru_core.record(cell, x, loss="all")
    h_ref, g_ref = stepped_grads(gru_family_step(cell.params, 6, "xhb", mix, reset), x, torch.zeros(2, 6), "all")
    close(tr.h, h_ref)
    close(tr.grad_h, g_ref)


def test_wiki_mixing_with_negated_update_weights_is_the_same_model():
    torch_cell = gru_core.make_cell("gru", 2, 5, seed=17)
    wiki = gru_core.make_cell("gru", 2, 5, seed=17, mix="wiki")
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        wiki.params[name][5:10] *= -1.0                     # z_wiki = 1 - z_torch: negate W_z, U_z, b_z
    x = sequence(20, 1, 2, 18)
    a, b = gru_core.record(torch_cell, x), gru_core.record(wiki, x)
    close(a.h, b.h)
    close(a.gates["z"], 1.0 - b.gates["z"])
    close(a.grad_h, b.grad_h)


def test_overridden_gate_is_a_constant_in_the_gradient():
    H = 4
    cell = gru_core.make_cell("gru", 2, H, seed=19)
    x = sequence(15, 1, 2, 20)
    z_over = np.full((15, 1, H), np.nan)
    z_over[5:9] = 0.9
    z_over[12, 0, 1] = 0.0
    tr = gru_core.record(cell, x, loss="all", override={"z": z_over})
    gru = cell.to_torch(cell_module=True)
    W_ih, W_hh = gru.weight_ih.detach(), gru.weight_hh.detach()
    b_ih, b_hh = gru.bias_ih.detach(), gru.bias_hh.detach()
    zo = T(z_over)
    t_box = [0]

    def step(xt, h):
        t = t_box[0]
        t_box[0] += 1
        gi, gh = xt @ W_ih.T + b_ih, h @ W_hh.T + b_hh
        r = torch.sigmoid(gi[:, :H] + gh[:, :H])
        z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        z = torch.where(torch.isnan(zo[t]), z, torch.nan_to_num(zo[t]))
        n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        h_new = (1 - z) * n + z * h
        return h_new, h_new
    h_ref, g_ref = stepped_grads(step, x, torch.zeros(1, H), "all")
    close(tr.h, h_ref)
    close(tr.grad_h, g_ref)
    assert np.all(tr.gates["z"][5:9] == 0.9)


def test_stack_of_cells_equals_each_cell_recorded_alone():
    cells = [gru_core.make_cell("gru", 1, 6, seed=21, init="orthogonal", scale=s) for s in (0.3, 1.0, 2.7)]
    x = gru_core.signal("noise", 40, 1, seed=1)
    stacked = gru_core.record(gru_core.stack_cells(cells), x, loss="all")
    assert stacked.h.shape == (40, 3, 6)
    for b, c in enumerate(cells):
        alone = gru_core.record(c, x, loss="all")
        close(stacked.h[:, b], alone.h[:, 0], 1e-13)
        close(stacked.grad_h[:, b], alone.grad_h[:, 0], 1e-13)
        close(stacked.jacobian_norm[:, b], alone.jacobian_norm[:, 0], 1e-10)


def test_a_sweep_over_scale_uses_one_matrix_product_and_stays_exact():
    from gru_core.cells.base import RowScaled, row_scaled
    cells = [gru_core.make_cell(k, 2, 8, seed=22, init="gaussian", scale=s) for k in ("gru", "rnn")
             for s in (0.5, 1.5, 2.5)]
    for kind in ("gru", "rnn"):
        group = [c for c in cells if c.kind == kind]
        stack = gru_core.stack_cells(group)
        assert isinstance(row_scaled(stack.params["weight_hh"]), RowScaled)
        x = np.random.default_rng(23).standard_normal((25, 2))
        tr = gru_core.record(stack, x, loss="all")
        for b, c in enumerate(group):
            alone = gru_core.record(c, x, loss="all")
            close(tr.h[:, b], alone.h[:, 0], 1e-13)
            close(tr.grad_h[:, b], alone.grad_h[:, 0], 1e-12)
    different = gru_core.stack_cells([gru_core.make_cell("gru", 1, 4, seed=s) for s in (1, 2)])
    assert not isinstance(row_scaled(different.params["weight_hh"]), RowScaled)
