"""gru_core.training: the generic fit loop trains any model on any batch source with any loss, stops for every
reason it names, keeps the best weights when training diverges, and writes checkpoints of plain arrays."""
import math

import numpy as np
import pytest
import torch

from gru_core.training import (Fit, FitConfig, History, ModelRun, load_checkpoint, save_checkpoint, fit,
                               state_arrays)


def windows(s):
    """A forecasting-style batch source: windows of a sine (B, 8) -> the next value (B,)."""
    rng = np.random.default_rng([7, s])
    t0 = rng.uniform(0, 2 * np.pi, size=(16, 1))
    t = t0 + 0.3 * np.arange(9)
    x = torch.tensor(np.sin(t[:, :8]), dtype=torch.float32)
    return x, torch.tensor(np.sin(t[:, 8]), dtype=torch.float32)


def mse(model, batch):
    x, y = batch
    return torch.nn.functional.mse_loss(model(x)[:, 0], y), float("nan")


def linear(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Linear(8, 1)


def test_fit_trains_a_regression_model_on_windows_and_the_loss_falls():
    f = fit(linear(), windows, mse, FitConfig(steps=200, lr=3e-2, eval_every=50, snapshot_every=100),
            evaluate=lambda m: (float(mse(m, windows(10_000))[0]), float("nan")))
    r = f.runs["model"]
    assert f.stop_reason == "steps" and r.status == "done" and r.steps_done == 200
    assert np.mean(r.history.loss[-20:]) < 0.05 * np.mean(r.history.loss[:5])
    assert r.history.eval_step == [0, 50, 100, 150, 200] and [s.step for s in r.snapshots] == [0, 100, 200]
    assert r.final["loss"] == r.history.eval_loss[-1] and r.final["steps"] == 200


def test_models_trained_side_by_side_equal_models_trained_alone():
    together = fit({"a": linear(1), "b": linear(2)}, windows, mse, FitConfig(steps=30))
    alone = fit({"b": linear(2)}, windows, mse, FitConfig(steps=30))
    for k, v in state_arrays(alone.runs["b"].model).items():
        np.testing.assert_array_equal(state_arrays(together.runs["b"].model)[k], v)


def test_callbacks_see_every_step_and_should_stop_ends_the_run_with_its_reason():
    seen = []
    f = fit(linear(), windows, mse, FitConfig(steps=1000), callbacks=[lambda f: seen.append(f.step)],
            should_stop=lambda: "stopped by the teacher" if len(seen) >= 7 else None)
    r = f.runs["model"]
    assert seen == list(range(1, 8)) and f.stop_reason == "stopped"
    assert r.status == "stopped" and r.message == "stopped by the teacher after 7 steps"
    assert r.snapshots[-1].step == 7


def test_a_nan_loss_stops_the_model_and_restores_the_last_finite_snapshot():
    def loss_nan_from_step_12(model, batch):
        loss, acc = mse(model, batch)
        return (loss * math.nan if batch[0].sum().item() == 12345 else loss), acc

    def batches(s):
        x, y = windows(s)
        if s >= 12:
            x = torch.full_like(x, 12345 / x.numel())
        return x, y

    f = fit(linear(), batches, loss_nan_from_step_12, FitConfig(steps=100, snapshot_every=5))
    r = f.runs["model"]
    assert f.stop_reason == "diverged" and r.status == "diverged" and r.steps_done == 12
    assert "the loss became nan at step 13" in r.message and "from step 10" in r.message
    for k, v in state_arrays(r.model).items():
        np.testing.assert_array_equal(v, r.snapshots[-1].params[k])
    assert r.snapshots[-1].step == 10


def test_a_blown_up_loss_keeps_the_snapshot_with_the_lowest_loss():
    f = fit(linear(), windows, mse, FitConfig(steps=500, lr=50.0, clip=0.0, snapshot_every=2))
    r = f.runs["model"]
    assert r.status == "diverged" and r.steps_done < 500
    kept = r.snapshots[-1]
    assert kept.loss == min(s.loss for s in r.snapshots)
    assert all(np.isfinite(p.detach().numpy()).all() for p in r.model.parameters())


def test_time_budget_and_progress():
    f = Fit(linear(), mse, FitConfig(steps=10_000_000, time_budget=0.3))
    assert f.progress() == 0.0
    f.run(windows)
    assert f.stop_reason == "time budget" and f.progress() == 1.0
    assert "time budget of 0.3 s used" in f.runs["model"].message


def test_history_copy_is_consistent_while_the_loop_appends():
    h = History()
    h.append_step(1, 0.5, 0.1, 2.0)
    h.loss.append(0.4)                    # the loop is half-way through appending step 2
    c = h.copy()
    assert c.step == [1] and c.loss == [0.5] and len(c.acc) == len(c.grad_norm) == 1


def test_checkpoint_round_trip_is_plain_arrays_and_keeps_the_final_weights(tmp_path):
    f = fit({"a": linear(1)}, windows, mse, FitConfig(steps=20, snapshot_every=5))
    path = tmp_path / "ck.npz"
    save_checkpoint(path, {k: r.view() for k, r in f.runs.items()}, {"note": "tiny"}, snapshot_steps=[0, 9])
    with np.load(path, allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)
    ck = load_checkpoint(path)
    assert ck.meta["note"] == "tiny" and ck.names == ("a",)
    assert [s.step for s in ck.snapshots["a"]] == [0, 10, 20]
    for k, v in f.runs["a"].snapshots[-1].params.items():
        np.testing.assert_array_equal(ck.snapshots["a"][-1].params[k], v)
    restored = ModelRun.restored("a", ck.histories["a"], ck.snapshots["a"], f.runs["a"].final)
    assert restored.view().final == f.runs["a"].final and restored.status == "done"
    with pytest.raises(ValueError, match="models"):
        Fit({}, mse)
