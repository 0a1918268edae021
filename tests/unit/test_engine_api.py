"""The engine's public API: interop, initialisation controls, signals, export, bad input and overflow."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

import gru_core


@pytest.mark.parametrize("module", [
    nn.RNN(3, 5), nn.RNN(3, 5, nonlinearity="relu"), nn.GRU(3, 5), nn.LSTM(3, 5),
    nn.RNNCell(3, 5), nn.GRUCell(3, 5), nn.LSTMCell(3, 5), nn.GRU(3, 5, bias=False)])
def test_from_torch_copies_weights_and_to_torch_gives_them_back(module):
    cell = gru_core.from_torch(module)
    layer = isinstance(module, (nn.RNN, nn.GRU, nn.LSTM))
    back = cell.to_torch(cell_module=not layer)
    assert type(back) is type(module)
    for name, value in module.named_parameters():
        np.testing.assert_array_equal(getattr(back, name).detach().numpy(), value.detach().double().numpy())
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    if layer:
        out = module.double()(torch.from_numpy(x))[0].detach().numpy()
        np.testing.assert_allclose(gru_core.record(cell, x).h, out, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("module,arg", [(nn.GRU(2, 3, num_layers=2), "num_layers"),
                                        (nn.GRU(2, 3, bidirectional=True), "bidirectional"),
                                        (nn.LSTM(2, 4, proj_size=2), "proj_size"),
                                        (nn.Linear(2, 3), "module")])
def test_from_torch_refuses_what_it_cannot_represent(module, arg):
    with pytest.raises(ValueError, match=arg):
        gru_core.from_torch(module)


def test_to_torch_refuses_variants_and_other_conventions():
    with pytest.raises(ValueError, match="kind"):
        gru_core.make_cell("gru_type1", 1, 2).to_torch()
    with pytest.raises(ValueError, match="options"):
        gru_core.make_cell("gru", 1, 2, mix="wiki").to_torch()


def test_same_seed_gives_the_same_weights_on_every_machine():
    a, b = gru_core.make_cell("gru", 1, 4, seed=0), gru_core.make_cell("gru", 1, 4, seed=0)
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    # numpy's PCG64 stream is platform-independent: these are the values on any machine
    np.testing.assert_allclose(a.params["weight_ih"][:3, 0], [0.13696169, -0.23021329, -0.45902648], atol=1e-8)
    assert a.params["bias_hh"][-1] == pytest.approx(0.2857857007138075, abs=1e-15)
    c = gru_core.make_cell("gru", 1, 4, seed=1)
    assert not np.array_equal(a.params["weight_hh"], c.params["weight_hh"])


def test_pytorch_default_init_is_uniform_in_one_over_sqrt_h():
    cell = gru_core.make_cell("lstm", 3, 16, seed=2)
    for v in cell.params.values():
        assert np.all(np.abs(v) <= 0.25)
    assert cell.num_parameters == 4 * (16 * (3 + 16) + 2 * 16)


def test_orthogonal_and_gaussian_blocks_have_the_chosen_largest_singular_value():
    ortho = gru_core.make_cell("gru", 1, 8, init="orthogonal", scale=0.7)
    gauss = gru_core.make_cell("gru", 1, 8, init="gaussian", scale=2.0)
    for j in range(3):
        np.testing.assert_allclose(np.linalg.svd(ortho.params["weight_hh"][j * 8:(j + 1) * 8])[1], 0.7, rtol=1e-12)
        assert np.linalg.norm(gauss.params["weight_hh"][j * 8:(j + 1) * 8], 2) == pytest.approx(2.0, rel=1e-12)


@pytest.mark.parametrize("kind,gate,kwargs,keep", [
    ("gru", "z", {}, "high"), ("gru", "z", {"mix": "wiki"}, "low"), ("gru_type1", "z", {}, "low"),
    ("mgu", "f", {}, "low"), ("lstm", "f", {}, "high")])
def test_positive_update_bias_keeps_memory_in_every_convention(kind, gate, kwargs, keep):
    cell = gru_core.make_cell(kind, 1, 8, seed=3, update_bias=8.0, **kwargs)
    g = gru_core.record(cell, gru_core.signal("noise", 20)).gates[gate]
    assert (g.min() > 0.99) if keep == "high" else (g.max() < 0.01)


def test_chrono_init_puts_log_uniform_biases_in_one_vector():
    cell = gru_core.make_cell("gru", 1, 64, seed=4, chrono=100)
    bz_ih, bz_hh = cell.params["bias_ih"][64:128], cell.params["bias_hh"][64:128]
    assert np.all(bz_hh == 0) and np.all(bz_ih >= 0) and np.all(bz_ih <= np.log(99))
    assert bz_ih.std() > 0.3
    lstm = gru_core.make_cell("lstm", 1, 16, seed=4, chrono=50)
    np.testing.assert_array_equal(lstm.params["bias_ih"][:16], -lstm.params["bias_ih"][16:32])


def test_signals_have_the_documented_shapes_and_values():
    assert gru_core.signal("impulse", 10, 2, at=3).tolist()[3] == [1.0, 1.0]
    assert gru_core.signal("impulse", 10, 2, at=3).sum() == 2.0
    assert gru_core.signal("step", 10, at=4)[:, 0].tolist() == [0] * 4 + [1] * 6
    s = gru_core.signal("sine", 40, 1, period=20)
    assert s[5, 0] == pytest.approx(1.0)
    tok = gru_core.signal("tokens", 50, 5, seed=1)
    assert tok.shape == (50, 5) and np.all(tok.sum(axis=1) == 1)
    np.testing.assert_array_equal(gru_core.signal("noise", 30, seed=7), gru_core.signal("noise", 30, seed=7))


def test_step_is_the_first_step_of_record_and_source_is_shown():
    cell = gru_core.make_cell("gru", 2, 3, seed=5)
    x = np.array([[0.5, -1.0]])
    tr = gru_core.record(cell, x)
    h, gates = gru_core.step(cell, x[0], np.zeros(3))
    np.testing.assert_array_equal(h, tr.h[0])
    np.testing.assert_array_equal(gates["z"], tr.gates["z"][0])
    # students read the reference step (one line per equation); `record` runs the fast step
    assert "h = (1 - z) * n + z * h_prev" in gru_core.step_source("gru")
    assert "def forward" in gru_core.step_source("gru", fast=True)


@pytest.mark.parametrize("call,message", [
    (lambda: gru_core.make_cell("transformer", 1, 2), "kind"),
    (lambda: gru_core.make_cell("gru", 1, 2000), "hidden_size.*1024"),
    (lambda: gru_core.make_cell("gru", 0, 2), "input_size"),
    (lambda: gru_core.make_cell("gru", 1, 2, init="xavier"), "init"),
    (lambda: gru_core.make_cell("gru", 1, 2, scale=float("nan")), "scale"),
    (lambda: gru_core.make_cell("gru_type2", 1, 2, update_bias=1.0), "update_bias"),
    (lambda: gru_core.make_cell("rnn", 1, 2, chrono=10), "chrono"),
    (lambda: gru_core.record(gru_core.make_cell("gru", 2, 2), np.zeros((5, 3))), "x.*input_size 2"),
    (lambda: gru_core.record(gru_core.make_cell("gru", 1, 2), np.zeros(5)), "x.*shape"),
    (lambda: gru_core.record(gru_core.make_cell("gru", 1, 2), np.zeros((6000, 1))), "steps.*5000"),
    (lambda: gru_core.record(gru_core.make_cell("gru", 1, 2), [[1.0], [np.inf]]), "x.*non-finite.*step 1"),
    (lambda: gru_core.record(gru_core.make_cell("gru", 1, 2), np.zeros((3, 1)), loss="mean"), "loss"),
    (lambda: gru_core.record(gru_core.make_cell("gru", 1, 2), np.zeros((3, 1)), override={"q": 1}), "override"),
    (lambda: gru_core.record(gru_core.make_cell("gru", 1, 2), np.zeros((3, 1)), override={"z": 2.0}), "override"),
    (lambda: gru_core.signal("chirp", 10), "signal"),
    (lambda: gru_core.signal("impulse", 10, at=10), "at"),
])
def test_bad_input_is_a_value_error_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_overflow_is_kept_in_the_trace_and_located():
    cell = gru_core.make_cell("rnn", 1, 16, seed=0, nonlinearity="relu", init="orthogonal", scale=6.0)
    tr = gru_core.record(cell, gru_core.signal("step", 1000, amplitude=5.0))
    assert not tr.finite
    k = int(tr.nonfinite_from[0])
    assert 0 < k < 1000
    assert np.all(np.isfinite(tr.h[:k])) and not np.all(np.isfinite(tr.h[k]))
    assert np.all(np.isnan(tr.jacobian_norm[:-1, 0])) and tr.jacobian_norm[-1, 0] == 1.0  # undefined, not 0


def test_export_cli_writes_weights_and_every_recorded_array(tmp_path):
    out = tmp_path / "trace.npz"
    r = subprocess.run([sys.executable, "-m", "gru_core", "export", "--cell", "gru", "--steps", "50", "--hidden",
                        "8", "--seed", "0", "--chrono", "50", "--signal", "noise", "--out", str(out)],
                       capture_output=True, text=True, check=True)
    assert json.loads(r.stdout)["out"] == str(out)
    data = np.load(out)
    meta = json.loads(str(data["meta"]))
    assert meta["kind"] == "gru" and meta["settings"]["chrono"] == 50
    cell = gru_core.make_cell("gru", 1, 8, seed=0, chrono=50)
    tr = gru_core.record(cell, gru_core.signal("noise", 50, seed=0))
    np.testing.assert_array_equal(data["weight_hh"], cell.params["weight_hh"])
    np.testing.assert_array_equal(data["gate_z"], tr.gates["z"])
    np.testing.assert_array_equal(data["grad_h"], tr.grad_h)
    np.testing.assert_array_equal(data["jacobian_norm"], tr.jacobian_norm)
    bad = subprocess.run([sys.executable, "-m", "gru_core", "export", "--hidden", "5000", "--out", str(out)],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "hidden_size" in bad.stderr and "Traceback" not in bad.stderr


def test_gradient_norms_neither_underflow_nor_overflow():
    g = np.array([[3e-170, 4e-170], [3e200, 4e200], [0.0, 0.0], [np.inf, 1.0]])
    n = gru_core.vector_norm(g)
    assert n[0] == pytest.approx(5e-170, rel=1e-15) and n[1] == pytest.approx(5e200, rel=1e-15)
    assert n[2] == 0.0 and n[3] == np.inf
    assert np.linalg.norm(g[0]) == 0.0                     # what the naive norm gives
