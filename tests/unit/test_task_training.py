"""gru_core.task_training: the memory-task recipe learns, is reproducible, stops cleanly, and its analysis is exact."""
import io
import json
import math
from contextlib import redirect_stdout

import numpy as np
import pytest
import torch

import gru_core
from gru_core.task_training import (CELLS, TaskRun, TrainConfig, analyse, build_model, keep_share,
                                    module_from_snapshot, sweep_delays, train)
from gru_core.train_cli import cli_main

TINY = dict(task="recall", delay=3, noise=0.0, hidden_size=8, steps=60, lr=2e-2, batch_size=32, eval_every=20,
            snapshot_every=10)


@pytest.mark.parametrize("kind", CELLS)
def test_a_tiny_model_trains_a_few_steps_and_the_loss_falls(kind):
    tr = train(TrainConfig(**TINY), (kind,))
    loss = np.asarray(tr.runs[kind].history.loss)
    assert loss.size == 60 and tr.runs[kind].status == "done"
    assert loss[-10:].mean() < 0.8 * loss[:10].mean()
    assert 0.0 <= tr.final[kind]["accuracy"] <= 1.0


@pytest.mark.parametrize("task", ["adding", "copy"])
def test_adding_and_copy_train_and_the_loss_falls(task):
    cfg = TrainConfig(**{**TINY, "task": task, "delay": 6, "steps": 80})
    tr = train(cfg, ("gru",))
    loss = np.asarray(tr.runs["gru"].history.loss)
    assert loss[-10:].mean() < 0.8 * loss[:10].mean()


def test_every_cell_sees_the_same_batches_so_training_side_by_side_changes_nothing():
    cfg = TrainConfig(**{**TINY, "steps": 15})
    alone = train(cfg, ("gru",))
    together = train(cfg, ("rnn", "gru", "lstm"))
    a = alone.runs["gru"].model.state_dict()
    b = together.runs["gru"].model.state_dict()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert alone.runs["gru"].history.loss == together.runs["gru"].history.loss
    assert np.array_equal(cfg.batch(3).x, cfg.batch(3).x) and not np.array_equal(cfg.batch(3).x, cfg.batch(4).x)


def test_the_recurrent_init_is_the_engines_including_chrono():
    cfg = TrainConfig(task="recall", delay=40, hidden_size=16, chrono=True, seed=5)
    m = build_model("gru", cfg)
    cell = gru_core.make_cell("gru", cfg.spec.input_size, 16, seed=5, chrono=cfg.spec.seq_len)
    np.testing.assert_allclose(m.rnn.bias_ih_l0.detach().numpy(), cell.params["bias_ih"], rtol=1e-6)
    bz = m.rnn.bias_ih_l0.detach().numpy()[16:32]
    assert np.all(bz >= 0) and np.all(bz <= math.log(cfg.spec.seq_len - 1) + 1e-6)   # log U[1, T_max - 1]
    assert np.all(m.rnn.bias_hh_l0.detach().numpy()[16:32] == 0)
    plain = build_model("gru", TrainConfig(task="recall", delay=40, hidden_size=16, chrono=False, seed=5))
    assert np.abs(plain.rnn.bias_ih_l0.detach().numpy()[16:32]).max() <= 0.25     # U(±1/sqrt(16))


def test_cli_prints_one_json_object_with_accuracy_seconds_steps():
    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = cli_main(["--task", "recall", "--delay", "5", "--cell", "lstm", "--seed", "1", "--steps", "20",
                       "--hidden", "8", "--json"])
    assert rc == 0
    out = json.loads(buf.getvalue())
    assert out["steps"] == 20 and out["cell"] == "lstm" and out["delay"] == 5
    assert 0.0 <= out["accuracy"] <= 1.0 and out["seconds"] > 0
    # the CLI trains exactly like train(): same accuracy for the same settings
    again = train(TrainConfig(task="recall", delay=5, steps=20, hidden_size=8, seed=1), ("lstm",))
    assert again.final["lstm"]["accuracy"] == out["accuracy"]


def test_cli_refuses_a_delay_beyond_the_maximum_with_a_clear_message(capsys):
    assert cli_main(["--delay", "100000"]) == 2
    assert "delay must be between 1 and 300" in capsys.readouterr().err
    assert cli_main(["--cell", "transformer"]) == 2


def test_a_diverging_learning_rate_stops_the_run_and_keeps_finite_weights():
    cfg = TrainConfig(**{**TINY, "lr": 10.0, "clip": 0.0, "steps": 200})
    tr = train(cfg, ("rnn",))
    for kind in ("rnn",):
        r = tr.runs[kind]
        assert r.status == "diverged", (kind, r.history.loss[-5:])
        assert "diverged" in r.message and "learning rate 10" in r.message
        assert r.steps_done < 200
        assert all(np.isfinite(p.detach().numpy()).all() for p in r.model.parameters())
        assert math.isfinite(tr.final[kind]["loss"])
        kept = r.snapshots[-1]
        for k, v in r.model.state_dict().items():   # the weights are the kept snapshot's
            np.testing.assert_array_equal(v.numpy(), kept.params[k])
    assert tr.stop_reason == "diverged"


def test_a_stop_reason_and_the_time_budget_stop_a_run_and_keep_the_result():
    calls = []

    def stop_after_25_steps():
        calls.append(1)
        return "stopped by request" if len(calls) > 25 else None

    run = train(TrainConfig(**{**TINY, "steps": 50_000}), ("gru",), should_stop=stop_after_25_steps)
    r = run.runs["gru"]
    assert run.stop_reason == "stopped" and r.status == "stopped" and r.steps_done == 25
    assert r.message == "stopped by request after 25 steps"
    assert r.snapshots[-1].step == 25                      # the result so far is kept as the last snapshot
    tb = train(TrainConfig(**{**TINY, "steps": 50_000, "time_budget": 0.5}), ("rnn",))
    assert tb.stop_reason == "time budget" and tb.runs["rnn"].steps_done < 50_000
    assert "time budget of 0.5 s used" in tb.runs["rnn"].message


def test_view_is_a_copy_that_training_does_not_change():
    tr = train(TrainConfig(**{**TINY, "steps": 12}), ("gru",))
    v = tr.view()["gru"]
    n = len(v.history.loss)
    tr.runs["gru"].history.loss.append(1.0)
    assert len(v.history.loss) == n and v.snapshot_steps == [0, 10, 12]


@pytest.mark.parametrize("kind", CELLS)
def test_analysis_gradients_equal_torch_autograd_of_the_task_loss(kind):
    cfg = TrainConfig(**{**TINY, "steps": 20})
    tr = train(cfg, (kind,))
    snap = tr.runs[kind].snapshots[-1]
    a = analyse(kind, cfg, snap.params, snap.step, index=3)
    # oracle: step the torch cell with the same weights in float64, retain every h_t, backprop cross-entropy
    model = module_from_snapshot(kind, cfg, snap.params)
    x, b = cfg.test_sequence(3)
    cls = {"rnn": torch.nn.RNNCell, "gru": torch.nn.GRUCell, "lstm": torch.nn.LSTMCell}[kind]
    cell = cls(x.shape[1], 8, dtype=torch.float64)
    with torch.no_grad():
        for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, n).copy_(getattr(model.rnn, n + "_l0"))
    h = torch.zeros(1, 8, dtype=torch.float64)
    c = torch.zeros(1, 8, dtype=torch.float64)
    hs = []
    for t in range(x.shape[0]):
        xt = torch.from_numpy(x[t:t + 1].astype(np.float64))
        if kind == "lstm":
            h, c = cell(xt, (h, c))
        else:
            h = cell(xt, h)
        h.retain_grad()
        hs.append(h)
    logits = model.readout(hs[-1])
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor([int(b.y[0])]))
    loss.backward()
    want = np.array([float(h.grad.norm()) for h in hs])
    np.testing.assert_allclose(a.grad_norm, want, rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(a.h, torch.cat(hs).detach().numpy(), atol=1e-12)
    assert a.loss == pytest.approx(float(loss.detach()), rel=1e-10)
    assert a.output.shape == (4,) and a.output.sum() == pytest.approx(1.0)
    keep = keep_share(a)
    assert (keep is None) == (kind == "rnn")
    if keep is not None:
        assert keep.shape == (cfg.spec.seq_len, 8) and np.all((keep >= 0) & (keep <= 1))


def test_checkpoint_round_trip_keeps_final_weights_exactly_and_loads_without_pickle(tmp_path):
    from gru_core.task_training import load_run, save_run

    tr = train(TrainConfig(**{**TINY, "steps": 30}), ("rnn", "gru"))
    path = tmp_path / "ck.npz"
    save_run(path, tr, snapshot_steps=[0, 10])
    with np.load(path, allow_pickle=False) as z:          # plain arrays only: no object arrays to unpickle
        assert all(z[k].dtype != object for k in z.files)
    ck = load_run(path)
    assert ck.config == tr.config and ck.cells == ("rnn", "gru") and ck.finished
    for kind in ck.cells:
        assert [s.step for s in ck.runs[kind].snapshots] == [0, 10, 30]
        for k, v in tr.runs[kind].snapshots[-1].params.items():
            np.testing.assert_array_equal(ck.snapshot(kind).params[k], v)
        np.testing.assert_allclose(ck.runs[kind].history.loss, tr.runs[kind].history.loss, rtol=1e-6)
        assert ck.final[kind] == tr.final[kind]
    snap = ck.snapshot("gru")
    a = analyse("gru", ck.config, snap.params, snap.step, 0)
    b = analyse("gru", tr.config, tr.runs["gru"].snapshots[-1].params, 30, 0)
    np.testing.assert_array_equal(a.grad_norm, b.grad_norm)


def test_shipped_checkpoint_loads_and_matches_its_recorded_accuracy():
    from pathlib import Path

    from gru_core.task_training import evaluate_params, load_run

    path = Path(__file__).resolve().parents[2] / "checkpoints" / "recall_default.npz"
    assert path.stat().st_size < 400_000
    ck = load_run(path)
    assert ck.config == TrainConfig()                    # made with the page's (and the CLI's) defaults
    assert ck.cells == CELLS
    for kind in CELLS:
        loss, acc = evaluate_params(kind, ck.config, ck.snapshot(kind).params)
        assert acc == ck.final[kind]["accuracy"]
        assert loss == pytest.approx(ck.final[kind]["loss"], rel=1e-5)
        assert ck.runs[kind].snapshots[0].step == 0 and ck.snapshot(kind).step == ck.config.steps
        assert len(ck.runs[kind].history.loss) == ck.config.steps
    assert ck.final["gru"]["accuracy"] >= 0.95 and ck.final["rnn"]["accuracy"] < 0.6


def test_delay_sweep_trains_one_run_per_delay_with_the_same_recipe():
    from dataclasses import replace

    cfg = TrainConfig(**{**TINY, "steps": 20})
    seen = []
    done = sweep_delays(cfg, ("gru",), (3, 6), on_result=lambda d, run: seen.append(d))
    assert list(done) == [3, 6] == seen
    assert done[6].final["gru"]["accuracy"] == train(replace(cfg, delay=6), ("gru",)).final["gru"]["accuracy"]
    with pytest.raises(ValueError, match="delay"):
        sweep_delays(cfg, ("gru",), (3, 1000))
    assert sweep_delays(cfg, ("gru",), (3, 6), should_stop=lambda: "stopped by request") == {}


def test_a_run_is_built_before_it_trains_so_a_watcher_sees_step_0():
    run = TaskRun(TrainConfig(**{**TINY, "steps": 5}), ("lstm", "rnn"))
    v = run.view()
    assert list(v) == ["lstm", "rnn"] and v["rnn"].snapshot_steps == [0] and v["rnn"].status == "running"
    assert run.progress() == 0.0 and not run.finished
    run.run()
    assert run.progress() == 1.0 and run.view()["rnn"].snapshot_steps == [0, 5]


def test_shipped_no_chrono_checkpoint_is_the_defaults_without_chrono_init():
    from dataclasses import replace
    from pathlib import Path

    from gru_core.task_training import evaluate_params, load_run

    path = Path(__file__).resolve().parents[2] / "checkpoints" / "recall_nochrono.npz"
    assert path.stat().st_size < 400_000
    ck = load_run(path)
    assert ck.config == replace(TrainConfig(), chrono=False) and ck.cells == CELLS
    for kind in CELLS:
        loss, acc = evaluate_params(kind, ck.config, ck.snapshot(kind).params)
        assert acc == ck.final[kind]["accuracy"] and loss == pytest.approx(ck.final[kind]["loss"], rel=1e-5)
