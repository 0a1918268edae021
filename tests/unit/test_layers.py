"""gru_core.layer: outputs and every gradient equal PyTorch autograd (nn.GRU / nn.LSTM / nn.RNN, and the variants'
plain equations) in float64 to 1e-10; gradcheck; PyTorch's names, state dicts and init; parameter counts."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import gru_core
from gru_core.cells import REGISTRY
from gru_core.layers import from_cell

T, B, I, H = 6, 3, 4, 5
F64 = torch.float64
TORCH = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM, "rnn": torch.nn.RNN}


def _block(P, name, kind, gate):
    spec = REGISTRY[kind]
    blocks = {"weight_ih": spec.ih_blocks, "weight_hh": spec.hh_blocks}.get(name, spec.bias_blocks)
    if gate not in blocks:
        return None
    k = blocks.index(gate)
    return P[name][k * H:(k + 1) * H]


def _pre(P, kind, gate, x, h):
    """W_x x + W_h h + b of one gate, each term only where the kind has it."""
    W_x, W_h = _block(P, "weight_ih", kind, gate), _block(P, "weight_hh", kind, gate)
    b_i, b_h = _block(P, "bias_ih", kind, gate), _block(P, "bias_hh", kind, gate)
    a = torch.zeros(x.shape[0], H, dtype=F64)
    for term in (None if W_x is None else x @ W_x.T, None if W_h is None else h @ W_h.T, b_i, b_h):
        a = a if term is None else a + term
    return a


def plain_variant(kind, P, x, h):
    """The variants' equations, one line each, in torch (autograd is the reference)."""
    outs = []
    for x_t in x:
        if kind == "mgu":
            f = torch.sigmoid(_pre(P, kind, "f", x_t, h))
            n = torch.tanh(x_t @ _block(P, "weight_ih", kind, "n").T + (f * h) @ _block(P, "weight_hh", kind, "n").T
                           + _block(P, "bias_ih", kind, "n") + _block(P, "bias_hh", kind, "n"))
            h = (1 - f) * h + f * n
        else:                                                    # types 1-3: reset before, Wikipedia mixing
            r, z = torch.sigmoid(_pre(P, kind, "r", x_t, h)), torch.sigmoid(_pre(P, kind, "z", x_t, h))
            n = torch.tanh(x_t @ _block(P, "weight_ih", kind, "n").T + (r * h) @ _block(P, "weight_hh", kind, "n").T
                           + _block(P, "bias_ih", kind, "n") + _block(P, "bias_hh", kind, "n"))
            h = (1 - z) * h + z * n
        outs.append(h)
    return torch.stack(outs), h


def _inputs(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(T, B, I, dtype=F64, generator=g, requires_grad=True)
    h0 = torch.randn(1, B, H, dtype=F64, generator=g, requires_grad=True)
    w = torch.randn(T, B, H, dtype=F64, generator=g)
    return x, h0, w


def _grads(loss, tensors):
    return torch.autograd.grad(loss, tensors)


@pytest.mark.parametrize("kind", ["gru", "lstm", "rnn"])
def test_layer_equals_pytorch_module_output_and_every_gradient_float64(kind):
    torch.manual_seed(1)
    ref = TORCH[kind](I, H, dtype=F64)
    lay = gru_core.layer(kind, I, H, dtype=F64)
    lay.load_state_dict(ref.state_dict())
    x, h0, w = _inputs()
    c0 = torch.randn(1, B, H, dtype=F64, requires_grad=True)
    state = (h0, c0) if kind == "lstm" else h0
    res = []
    for m in (ref, lay):
        out, hT = m(x, state)
        hT = hT[0] + 2 * hT[1] if kind == "lstm" else hT
        loss = (out * w).sum() + (hT ** 2).sum()
        res.append((out.detach(), _grads(loss, [x, h0, *([c0] if kind == "lstm" else []), *m.parameters()])))
    assert torch.allclose(res[0][0], res[1][0], atol=1e-12, rtol=0)
    for a, b in zip(res[0][1], res[1][1]):
        assert a.shape == b.shape and float((a - b).abs().max()) < 1e-10


@pytest.mark.parametrize("kind", ["gru_type1", "gru_type2", "gru_type3", "mgu"])
def test_variant_layer_equals_autograd_of_its_plain_equations_float64(kind):
    lay = gru_core.layer(kind, I, H, seed=3, dtype=F64, update_bias=0.5 if kind != "gru_type2" else 0.0)
    P = {n[:-3]: p for n, p in lay.named_parameters()}
    x, h0, w = _inputs(1)
    out, hT = lay(x, h0)
    g_lay = _grads((out * w).sum() + (hT ** 2).sum(), [x, h0, *lay.parameters()])
    out_ref, hT_ref = plain_variant(kind, P, x, h0[0])
    g_ref = _grads((out_ref * w).sum() + (hT_ref ** 2).sum(), [x, h0, *lay.parameters()])
    assert float((out - out_ref).detach().abs().max()) < 1e-12
    for a, b in zip(g_ref, g_lay):
        assert float((a - b).abs().max()) < 1e-10


@pytest.mark.parametrize("kind", gru_core.CELL_KINDS)
def test_layer_matches_the_engine_and_passes_gradcheck(kind):
    lay = gru_core.layer(kind, 2, 3, seed=0, dtype=F64)
    x = torch.randn(4, 2, 2, dtype=F64, requires_grad=True)
    trace = gru_core.record(lay.to_cell(), x.detach().numpy(), loss="last")
    out, _ = lay(x)
    assert np.allclose(out.detach().numpy(), trace.h, atol=1e-12, rtol=0)

    params = [p.detach().clone().requires_grad_() for p in lay.parameters()]
    assert torch.autograd.gradcheck(lambda x, *ps: _functional(lay, x, ps), (x, *params))


def _functional(lay, x, params):
    from gru_core.layers import Recurrence
    h = torch.zeros(x.shape[1], lay.hidden_size, dtype=F64)
    out, h_T, _ = Recurrence.apply(lay.kind, tuple(lay.options.items()), x, h, h, *params)
    return out.sum() + h_T.pow(2).sum()


def test_same_torch_seed_gives_pytorchs_own_init_and_state_dict_names():
    for kind in ("gru", "lstm", "rnn"):
        torch.manual_seed(7)
        ref = TORCH[kind](I, H)
        torch.manual_seed(7)
        lay = gru_core.layer(kind, I, H)
        assert list(lay.state_dict()) == list(ref.state_dict())
        for a, b in zip(ref.parameters(), lay.parameters()):
            assert torch.equal(a, b)


@pytest.mark.parametrize("kind", gru_core.CELL_KINDS)
def test_parameter_count_formula_equals_the_real_modules(kind):
    for i, h in ((1, 64), (6, 32), (3, 1)):
        n = sum(p.numel() for p in gru_core.layer(kind, i, h).parameters())
        assert gru_core.parameter_count(kind, i, h) == n
        if kind in TORCH:
            assert n == sum(p.numel() for p in TORCH[kind](i, h).parameters())


def test_parameter_counts_of_the_source_texts():
    assert [gru_core.parameter_count(k, 1, 64) for k in ("rnn", "gru", "lstm")] == [4288, 12864, 17152]


def test_seeded_layer_holds_the_engine_cells_numbers_and_round_trips():
    cell = gru_core.make_cell("mgu", 2, 4, seed=5, update_bias=1.0)
    lay = gru_core.layer("mgu", 2, 4, seed=5, update_bias=1.0, dtype=F64)
    for n, v in cell.params.items():
        assert np.array_equal(getattr(lay, n + "_l0").detach().numpy(), v)
    back = from_cell(lay.to_cell(), dtype=F64)
    for a, b in zip(lay.parameters(), back.parameters()):
        assert torch.equal(a, b)


def test_float32_layer_is_close_to_float64_and_unbatched_input_works():
    lay64 = gru_core.layer("gru", I, H, seed=2, dtype=F64)
    lay32 = from_cell(lay64.to_cell())
    x = torch.randn(T, B, I, dtype=F64)
    out64, _ = lay64(x)
    out32, _ = lay32(x.float())
    assert out32.dtype == torch.float32 and float((out32.double() - out64).abs().max()) < 1e-5
    one, h = lay64(x[:, 0])
    assert one.shape == (T, H) and h.shape == (1, H) and torch.allclose(one, out64[:, 0])


def test_bad_input_is_a_value_error_naming_it():
    lay = gru_core.layer("gru", I, H)
    with pytest.raises(ValueError, match="x.shape"):
        lay(torch.zeros(T, B, I + 1))
    with pytest.raises(ValueError, match="h0"):
        lay(torch.zeros(T, B, I), torch.zeros(2, B, H))
    with pytest.raises(ValueError, match="kind"):
        gru_core.layer("transformer", I, H)
    with pytest.raises(ValueError, match="hidden_size"):
        gru_core.parameter_count("gru", 1, 10**6)


def test_nonfinite_values_propagate_instead_of_raising():
    lay = gru_core.layer("lstm", 1, 2, seed=0)
    out, _ = lay(torch.tensor([[[1.0]], [[float("nan")]], [[1.0]]]))
    assert torch.isnan(out[1:]).all() and torch.isfinite(out[0]).all()
