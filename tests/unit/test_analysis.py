"""gru_core.analysis against PyTorch autograd in float64 (1e-10 where the quantity is a gradient)."""
import math

import numpy as np
import pytest
import torch

import gru_core
from gru_core import analysis as A
from torch_oracle import T as tt

TORCH_FLOAT64 = True  # tests/conftest.py runs this module's tests with torch's default dtype float64
RTOL = 1e-10


def run(kind: str, steps: int = 30, hidden: int = 6, loss: str = "last", **kw):
    cell = gru_core.make_cell(kind, 1, hidden, seed=0, **kw)
    x = gru_core.signal("noise", steps, 1, seed=0)
    return cell, x, gru_core.record(cell, x, loss=loss)


def torch_rnn_grads(cell, x, loss: str, nonlinearity: str = "tanh"):
    """Per-step h_t, dL/dh_t (retain_grad) and the step Jacobians dh_t/dh_{t-1} from an nn.RNNCell."""
    m = cell.to_torch(cell_module=True)
    h = torch.zeros(1, cell.hidden_size)
    hs = []
    for t in range(len(x)):
        h = m(tt(x[t])[None], h)
        h.retain_grad()
        hs.append(h)
    L = 0.5 * (hs[-1] ** 2).sum() if loss == "last" else sum(0.5 * (v ** 2).sum() for v in hs)
    L.backward()
    g = torch.stack([v.grad[0] for v in hs]).numpy()
    H = torch.stack([v.detach()[0] for v in hs]).numpy()
    jac = [torch.autograd.functional.jacobian(lambda hp, t=t: m(tt(x[t])[None], hp[None])[0], tt(H[t - 1])).numpy()
           for t in range(1, len(x))]
    return m, H, g, np.stack(jac)


@pytest.mark.parametrize("loss", ["last", "all"])
@pytest.mark.parametrize("init,scale", [("pytorch", None), ("orthogonal", 1.5)])
def test_shrink_factors_are_the_step_jacobians_contraction_of_the_autograd_gradient(loss, init, scale):
    cell, x, tr = run("rnn", loss=loss, init=init, scale=scale)
    _, h, g, J = torch_rnn_grads(cell, x, loss)
    np.testing.assert_allclose(tr.grad_h[:, 0], g, rtol=RTOL, atol=1e-14)
    f = A.shrink_factors(tr.grad_h[:, 0], A.direct_parts(tr.h[:, 0], loss))
    # entry t-2 is ||J_t^T g_t|| / ||g_t|| for t = 2..T, J_t = dh_t/dh_{t-1} from autograd
    want = np.array([np.linalg.norm(J[t - 1].T @ g[t]) / np.linalg.norm(g[t]) for t in range(1, len(x))])
    np.testing.assert_allclose(f, want, rtol=RTOL)
    # never above the per-step ceiling sigma_max(W_hh) (|tanh'| <= 1)
    assert np.all(f <= A.sigma_max(cell.params["weight_hh"], cell.hidden_size) * (1 + 1e-12))


def test_mean_shrink_is_the_slope_of_the_gradient_line():
    cell, x, tr = run("rnn", steps=60)
    g = tr.grad_norm[:, 0]
    f = A.shrink_factors(tr.grad_h[:, 0], A.direct_parts(tr.h[:, 0], "last"))
    for k in (1, 10, 59):
        assert A.mean_shrink(f, k) == pytest.approx((g[-1 - k] / g[-1]) ** (1 / k), rel=1e-10)
    assert A.mean_shrink(np.array([0.5, 0.0])) == 0.0
    assert math.isnan(A.mean_shrink(np.array([np.inf, 0.5])))
    assert math.isnan(A.mean_shrink(np.array([])))


def test_measurable_steps_stop_where_the_gradient_underflows_or_overflows():
    assert A.measurable_steps(np.array([0.1, 0.2, 1.0])) == 2
    assert A.measurable_steps(np.array([0.0, 1e-300, 0.5, 1.0])) == 2
    assert A.measurable_steps(np.array([np.nan, np.inf, 3.0, 1.0])) == 1
    assert A.measurable_steps(np.array([1.0, 0.0])) == -1


def test_pytorch_default_rnn_has_sigma_max_above_one_and_still_vanishes():
    """sigma_max > 1 is necessary for exploding, not sufficient (the sentence the page says, pinned here)."""
    cell, x, tr = run("rnn", steps=100, hidden=32)
    sigma = A.sigma_max(cell.params["weight_hh"], 32)
    rho = A.mean_shrink(A.shrink_factors(tr.grad_h[:, 0], A.direct_parts(tr.h[:, 0], "last")))
    assert sigma > 1 and rho < 0.8


def test_sigma_max_is_the_largest_singular_value_of_each_block():
    cell, _, _ = run("gru", hidden=5)
    W = cell.params["weight_hh"]
    want = max(np.linalg.svd(W[i * 5:(i + 1) * 5], compute_uv=False)[0] for i in range(3))
    assert A.sigma_max(W, 5) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("loss", ["last", "all"])
def test_pascanu_bound_caps_the_autograd_gradient(loss):
    cell, x, tr = run("rnn", steps=50, init="orthogonal", scale=1.3, loss=loss)
    _, h, g, _ = torch_rnn_grads(cell, x, loss)
    d = A.direct_parts(h, loss)
    b = A.pascanu_bound(A.vector_norm(d), 1.3)
    assert np.all(np.linalg.norm(g, axis=-1) <= b * (1 + 1e-10))
    if loss == "last":
        np.testing.assert_allclose(b, np.linalg.norm(h[-1]) * 1.3 ** np.arange(49, -1, -1), rtol=1e-12)


@pytest.mark.parametrize("nonlinearity,loss", [("tanh", "all"), ("relu", "last")])
def test_rnn_param_grad_matches_autograd(nonlinearity, loss):
    cell, x, tr = run("rnn", steps=25, hidden=5, loss=loss, init="orthogonal", scale=1.2, nonlinearity=nonlinearity)
    pg = A.rnn_param_grad(x, tr.h0[0], tr.h[:, 0], tr.grad_h[:, 0], nonlinearity)
    m = cell.to_torch()
    out, _ = m(tt(x)[:, None, :])
    (0.5 * (out[-1] ** 2).sum() if loss == "last" else 0.5 * (out ** 2).sum()).backward()
    want = np.concatenate([getattr(m, n).grad.numpy().ravel()
                           for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")])
    np.testing.assert_allclose(pg.total, want, rtol=RTOL, atol=1e-13)
    assert pg.total_norm == pytest.approx(np.linalg.norm(want), rel=RTOL)
    assert pg.per_step.sum() >= pg.total_norm * (1 - 1e-12)


def test_clip_factor_is_algorithm_1_and_matches_clip_grad_norm():
    cell, x, tr = run("rnn", steps=30, init="orthogonal", scale=1.6, loss="all")
    pg = A.rnn_param_grad(x, tr.h0[0], tr.h[:, 0], tr.grad_h[:, 0], "tanh")
    m = cell.to_torch()
    out, _ = m(tt(x)[:, None, :])
    (0.5 * (out ** 2).sum()).backward()
    c = pg.total_norm / 10
    torch.nn.utils.clip_grad_norm_(m.parameters(), c)
    clipped = np.concatenate([p.grad.numpy().ravel() for p in m.parameters()])
    np.testing.assert_allclose(pg.total * A.clip_factor(pg.total_norm, c), clipped, rtol=1e-5)  # torch adds 1e-6
    assert A.clip_factor(10.0, 1.0) == pytest.approx(0.1)
    assert A.clip_factor(1.0, 1.0) == 1.0 and A.clip_factor(0.5, 1.0) == 1.0
    assert math.isnan(A.clip_factor(math.inf, 1.0))
    assert A.cosine_similarity(pg.total, pg.total * 0.01) == pytest.approx(1.0, abs=1e-12)
    assert math.isnan(A.cosine_similarity(pg.total, 0 * pg.total))


def torch_gru_direct_only(cell, x):
    """dL/dh_t when the gradient may flow back only through z_t * h_{t-1}: everything else detached."""
    H = cell.hidden_size
    m = cell.to_torch(cell_module=True)
    Wi, Wh, bi, bh = m.weight_ih, m.weight_hh, m.bias_ih, m.bias_hh
    h = torch.zeros(H, requires_grad=True)
    hs = []
    for t in range(len(x)):
        hd = h.detach()
        gi, gh = tt(x[t]) @ Wi.T + bi, hd @ Wh.T + bh
        r = torch.sigmoid(gi[:H] + gh[:H])
        z = torch.sigmoid(gi[H:2 * H] + gh[H:2 * H])
        n = torch.tanh(gi[2 * H:] + r * gh[2 * H:])
        h = ((1 - z) * n).detach() + z.detach() * h
        h.retain_grad()
        hs.append(h)
    (0.5 * (hs[-1] ** 2).sum()).backward()
    return np.stack([v.grad.numpy() for v in hs])


def test_direct_path_only_is_autograd_through_diag_z_alone():
    cell, x, tr = run("gru", steps=25, hidden=6, update_bias=1.0)
    want = np.linalg.norm(torch_gru_direct_only(cell, x), axis=-1)
    got = A.direct_path_only(tr.gates["z"][:, 0], A.direct_parts(tr.h[:, 0], "last"))
    np.testing.assert_allclose(got, want, rtol=RTOL)


def test_jacobian_share_splits_the_autograd_step_jacobian():
    cell, x, tr = run("gru", steps=12, hidden=5)
    m = cell.to_torch(cell_module=True)
    h = tr.h[:, 0]
    D, W = tr.jacobian_split["direct"][:, 0], tr.jacobian_split["weights"][:, 0]
    for t in (1, 6, 11):
        J = torch.autograd.functional.jacobian(lambda hp: m(tt(x[t])[None], hp[None])[0], tt(h[t - 1])).numpy()
        np.testing.assert_allclose(D[t] + W[t], J, rtol=RTOL, atol=1e-14)
        np.testing.assert_array_equal(D[t], np.diag(tr.gates["z"][t, 0]))
    share = A.jacobian_share(D, W)
    d, w = np.linalg.norm(D[6], "fro"), np.linalg.norm(W[6], "fro")
    assert share[6] == pytest.approx(d / (d + w), rel=1e-12)


def test_retained_and_gradient_share():
    g = np.array([1e-6, 1e-3, 0.5, 2.0])
    assert A.retained(g, 0) == 1.0 and A.retained(g, 3) == pytest.approx(5e-7)
    np.testing.assert_allclose(A.gradient_share(g), g / 2.0)
    assert math.isnan(A.retained(np.array([1.0, 0.0]), 1))
    np.testing.assert_array_equal(A.gradient_share(np.array([1.0, np.inf])), [1.0, np.inf])


def test_retention_is_the_product_of_keep_gates():
    keep = np.array([[0.1, 0.9], [0.5, 0.8], [0.5, 0.5]])
    np.testing.assert_allclose(A.retention(keep), [1.0, (0.5 + 0.8) / 2, (0.25 + 0.4) / 2])
    np.testing.assert_allclose(A.retention(keep, "max"), [1.0, 0.8, 0.4])


@pytest.mark.parametrize("task", ["classify_last", "regress_last", "classify_all"])
def test_readout_gradients_match_autograd(task):
    rng = np.random.default_rng(1)
    Tn, H, O = 7, 4, (1 if task == "regress_last" else 3)
    h, W, c = rng.standard_normal((Tn, H)), rng.standard_normal((O, H)), rng.standard_normal(O)
    target = {"classify_last": 2, "regress_last": 0.3, "classify_all": rng.integers(0, O, Tn)}[task]
    ht = tt(h).requires_grad_()
    y = ht @ tt(W).T + tt(c)
    if task == "classify_last":
        L = torch.nn.functional.cross_entropy(y[-1:], torch.tensor([target]))
    elif task == "regress_last":
        L = ((y[-1, 0] - target) ** 2)
    else:
        L = torch.nn.functional.cross_entropy(y, torch.as_tensor(target))
    L.backward()
    r = A.readout_gradients(task, h, W, c, target)
    np.testing.assert_allclose(r.direct, ht.grad.numpy(), rtol=RTOL, atol=1e-14)
    assert r.loss == pytest.approx(float(L.detach()), rel=1e-12)
    with pytest.raises(ValueError, match="task"):
        A.readout_gradients("nope", h, W, c, target)
