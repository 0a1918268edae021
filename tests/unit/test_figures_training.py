"""lab/figures/training.py: the figures hold the trainer's and the engine's numbers."""
import numpy as np
import pytest

from gru_core.train import TrainConfig, analyse, keep_share, retention, train
from lab.figures.common import decode
from lab.figures.training import (accuracy_vs_delay, gradient_norms, keep_heatmaps, replay_figure, running_mean,
                                  training_curves)
from lab.theme import CELL_COLORS


@pytest.fixture(scope="module")
def trained():
    cfg = TrainConfig(task="recall", delay=4, noise=0.0, hidden_size=8, steps=40, batch_size=16, eval_every=10,
                      snapshot_every=10)
    return cfg, train(cfg, ("rnn", "gru", "lstm"))


def _arr(v):
    return np.asarray(decode(v), dtype=np.float64)


def test_running_mean_is_a_trailing_mean():
    y = np.array([1.0, 3.0, 5.0, 7.0])
    np.testing.assert_allclose(running_mean(y, 2), [1.0, 2.0, 4.0, 6.0])
    np.testing.assert_allclose(running_mean(y, 10), [1.0, 2.0, 3.0, 4.0])


def test_accuracy_curves_hold_the_trainers_numbers_in_percent(trained):
    cfg, tr = trained
    hist = {k: v.history.arrays() for k, v in tr.view().items()}
    fig = training_curves(hist, "accuracy", total_steps=40, baseline=0.25, baseline_label="chance",
                          y_title="accuracy", window=5)
    js = fig.to_plotly_json()
    for t in js["data"]:
        kind, role = t["meta"]["kind"], t["meta"]["role"]
        if role == "legend":
            continue
        h = hist[kind]
        if role == "train":
            np.testing.assert_allclose(_arr(t["y"]), 100 * running_mean(h["acc"], 5))
            np.testing.assert_array_equal(_arr(t["x"]), h["step"])
            assert t["line"]["color"] == CELL_COLORS[kind]
        else:
            np.testing.assert_allclose(_arr(t["y"]), 100 * h["eval_acc"])
    assert {t["meta"]["kind"] for t in js["data"]} == {"rnn", "gru", "lstm", ""}
    assert any(s.get("y0") == 25.0 for s in js["layout"]["shapes"])          # the chance line
    assert js["layout"]["xaxis"]["range"][1] >= 40


def test_loss_curves_are_on_a_log_axis_that_contains_the_baseline(trained):
    _, tr = trained
    hist = {k: v.history.arrays() for k, v in tr.view().items()}
    fig = training_curves(hist, "loss", total_steps=40, baseline=np.log(4), baseline_label="baseline",
                          y_title="cross-entropy")
    lay = fig.to_plotly_json()["layout"]
    assert lay["yaxis"]["type"] == "log"
    lo, hi = lay["yaxis"]["range"]
    assert 10 ** lo <= np.log(4) <= 10 ** hi
    with pytest.raises(ValueError, match="metric"):
        training_curves(hist, "speed", total_steps=1, baseline=0, baseline_label="", y_title="")


def test_keep_heatmaps_show_the_engines_gates_units_by_steps(trained):
    cfg, tr = trained
    a_gru = analyse("gru", cfg, tr.runs["gru"].snapshots[-1].params)
    a_lstm = analyse("lstm", cfg, tr.runs["lstm"].snapshots[-1].params)
    fig = keep_heatmaps({"gru": keep_share(a_gru), "lstm": keep_share(a_lstm)}, marks=[(1, "token"), (6, "query")])
    heat = {t.meta["kind"]: t for t in fig.data}
    np.testing.assert_allclose(np.asarray(heat["gru"].z), a_gru.gates["z"].T, atol=1e-6)   # float32 for display
    np.testing.assert_allclose(np.asarray(heat["lstm"].z), a_lstm.gates["f"].T, atol=1e-6)
    assert np.asarray(heat["gru"].z).shape == (8, cfg.spec.seq_len)
    with pytest.raises(ValueError):
        keep_heatmaps({"rnn": None})


def test_gradient_norm_lines_carry_the_exact_values(trained):
    cfg, tr = trained
    norms = {k: analyse(k, cfg, tr.runs[k].snapshots[-1].params).grad_norm for k in ("rnn", "gru")}
    norms["rnn"] = norms["rnn"].copy()
    norms["rnn"][0] = 0.0                     # an exact underflow is drawn at the floor, not dropped
    fig = gradient_norms(norms)
    lines = {t.meta["name"]: t for t in fig.data if t.meta["role"] == "line"}
    np.testing.assert_array_equal(np.asarray(lines["GRU"].customdata), norms["gru"])
    np.testing.assert_array_equal(np.asarray(lines["RNN"].customdata), norms["rnn"])
    assert any(t.meta["role"] == "underflow" for t in fig.data)


def test_replay_figure_holds_keep_share_and_retention(trained):
    cfg, tr = trained
    a = analyse("gru", cfg, tr.runs["gru"].snapshots[0].params)
    ret = retention(a)
    keep = keep_share(a)
    assert ret[0] == 1.0
    np.testing.assert_allclose(ret[2], np.mean(keep[1] * keep[2]))
    best = retention(a, "max")
    assert best[-1] >= ret[-1]
    fig = replay_figure(keep, ret, "gru", title="step 0", best=best)
    roles = {t.meta["role"]: t for t in fig.data}
    np.testing.assert_allclose(np.asarray(roles["retention"].y), ret)
    np.testing.assert_allclose(np.asarray(roles["best"].y), best)
    np.testing.assert_allclose(np.asarray(roles["keep"].z), keep.T, atol=1e-6)


def test_accuracy_vs_delay_in_percent_with_seed_spread():
    fig = accuracy_vs_delay([10, 50, 100], {"gru": np.array([1.0, 0.99, 0.98]), "rnn": np.array([1.0, 0.3, 0.25])},
                            chance=0.25, spread={"rnn": (np.array([1.0, 0.25, 0.2]), np.array([1.0, 0.4, 0.3]))})
    tr = {t.meta["kind"]: t for t in fig.data}
    np.testing.assert_allclose(np.asarray(tr["rnn"].y), [100, 30, 25])
    np.testing.assert_allclose(np.asarray(tr["rnn"].error_y.array), [0, 10, 5])
    np.testing.assert_allclose(np.asarray(tr["rnn"].error_y.arrayminus), [0, 5, 5])
    assert tr["gru"].error_y.array is None


def test_gate_grid_shows_every_gate_of_the_analysis(trained):
    from lab.figures.training import gate_grid

    cfg, tr = trained
    a = analyse("lstm", cfg, tr.runs["lstm"].snapshots[-1].params)
    fig = gate_grid({**a.gates, "h": a.h})
    got = {t.meta["gate"]: t for t in fig.data}
    assert list(got) == ["i", "f", "g", "o", "c", "h"]
    for name, t in got.items():
        np.testing.assert_allclose(np.asarray(t.z), (a.h if name == "h" else a.gates[name]).T, atol=1e-6)
    assert got["f"].zmin == 0.0 and got["g"].zmin == -1.0
