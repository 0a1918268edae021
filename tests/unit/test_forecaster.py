"""gru_core.forecaster: parameter budget, exact input gradients against torch autograd, training smoke test."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import gru_core
from gru_core import forecaster as F
from gru_core import series as S


def _problem(horizon=6, window=12):
    return F.Problem.make(S.synthetic(length=120, period=10).values, horizon, window, 10)


@pytest.mark.parametrize("kind", F.KINDS)
def test_parameter_count_is_the_modules_and_the_budget_is_filled(kind):
    net = F.build_network(kind, 9, 5, seed=0)
    assert F.parameter_count(kind, 9, 5) == sum(p.numel() for p in net.parameters())
    H = F.hidden_for_budget(kind, 3000, 24)
    assert F.parameter_count(kind, H, 24) <= 3000 < F.parameter_count(kind, H + 1, 24)


@pytest.mark.parametrize("kind", ["rnn", "gru"])
def test_input_gradient_matches_torch_autograd_in_float64(kind):
    torch.manual_seed(1)
    layer = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU}[kind](2, 5).double()
    x = torch.randn(9, 3, 2, dtype=torch.float64, requires_grad=True)
    g = np.random.default_rng(0).standard_normal((9, 3, 5))
    out, _ = layer(x)
    (out * torch.from_numpy(g)).sum().backward()
    trace = gru_core.record(gru_core.from_torch(layer), x.detach().numpy(), loss=g)
    np.testing.assert_allclose(F.input_gradient(trace), x.grad.numpy(), rtol=0, atol=1e-10)


def test_input_gradient_refuses_an_lstm():
    trace = gru_core.record(gru_core.make_cell("lstm", 1, 3), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="allowed: a tanh RNN or a PyTorch GRU"):
        F.input_gradient(trace)


@pytest.mark.parametrize("kind", ["rnn", "gru"])
def test_sensitivity_is_the_exact_derivative_of_the_forecast_in_the_series_units(kind):
    p = _problem()
    params = F.params_of(F.build_network(kind, 7, p.horizon, seed=3))
    step = 4
    ins = F.inside(params, p, step)
    net = F.network_from(params, kind)
    raw = torch.tensor(p.train[-p.window:], dtype=torch.float64, requires_grad=True)
    scale = p.windows.scale
    y = raw[-1] + scale * net(((raw - raw[-1]) / scale)[:, None, None])[0, step - 1]
    y.backward()
    np.testing.assert_allclose(ins.sensitivity, np.abs(raw.grad.numpy()), rtol=0, atol=1e-10)
    np.testing.assert_allclose(S.unscale(ins.forecast_net, p.train[-1], scale), F.forecast(params, p), atol=1e-10)


def test_training_reduces_the_loss_and_is_reproducible():
    p = _problem()
    cfg = F.FitConfig(steps=60, lr=0.01, seed=0, eval_every=20)
    hidden = {"gru": 8, "rnn": 8}
    a = F.train(p, cfg, hidden)
    b = F.train(p, cfg, hidden)
    for k in hidden:
        loss = np.asarray(a.runs[k].view().history.loss)
        assert np.mean(loss[-10:]) < 0.5 * np.mean(loss[:5])
        np.testing.assert_array_equal(a.runs[k].view().snapshots[-1].params["head.weight"],
                                      b.runs[k].view().snapshots[-1].params["head.weight"])
    assert a.runs["gru"].view().history.eval_step[-1] == 60


def test_should_stop_ends_training_early():
    calls = []
    fit = F.train(_problem(), F.FitConfig(steps=200), {"rnn": 4},
                  should_stop=lambda: "stopped by request" if len(calls.append(1) or calls) > 5 else None)
    assert fit.runs["rnn"].view().status == "stopped" and len(fit.runs["rnn"].view().history.step) < 10


def test_every_cell_sees_the_same_batches():
    p = _problem()
    cfg = F.FitConfig(steps=5, seed=2)
    idx = F.batch_indices(len(p.windows.targets), cfg)
    assert idx.shape == (5, 64) and np.array_equal(idx, F.batch_indices(len(p.windows.targets), cfg))
