"""lab/figures/training.py: the figures hold the trainer's and the engine's numbers, and draw only."""
import numpy as np
import pytest

from gru_core.analysis import gradient_share, retention
from gru_core.task_training import TrainConfig, analyse, keep_share, train
from lab.figures.common import decode, validate_figure
from lab.figures.training import (accuracy_vs_delay, gate_grid, gradient_shares, keep_heatmaps, replay_figure,
                                  training_curves)
from lab.models.train import curves, view_of
from lab.theme import CELL_COLORS


@pytest.fixture(scope="module")
def trained():
    cfg = TrainConfig(task="recall", delay=4, noise=0.0, hidden_size=8, steps=40, batch_size=16, eval_every=10,
                      snapshot_every=10)
    return cfg, train(cfg, ("rnn", "gru", "lstm"))


def checked(fig):
    """The figure as built, after checking that Plotly's full validation accepts it."""
    validate_figure(fig)
    return fig


def _arr(v):
    return np.asarray(decode(v), dtype=np.float64)


def test_accuracy_curves_hold_the_trainers_numbers_in_percent(trained):
    cfg, tr = trained
    c = curves(view_of(tr), "accuracy", window=5)
    fig = checked(training_curves(c, "accuracy", total_steps=40, baseline=25.0, baseline_label="chance 25%",
                                          y_title="accuracy"))
    js = fig.to_plotly_json()
    for t in js["data"]:
        kind, role = t["meta"]["kind"], t["meta"]["role"]
        if role == "train":
            np.testing.assert_allclose(_arr(t["y"]), c[kind]["train"])
            np.testing.assert_array_equal(_arr(t["x"]), tr.runs[kind].history.step)
            assert t["line"]["color"] == CELL_COLORS[kind]
        elif role == "eval":
            np.testing.assert_allclose(_arr(t["y"]), 100 * np.asarray(tr.runs[kind].history.eval_acc))
    guide = next(t for t in js["data"] if t["meta"]["role"] == "guide")
    assert guide["name"] == "chance 25%" and list(_arr(guide["y"])) == [25.0, 25.0]   # named in the legend
    assert guide.get("showlegend", True) and not js["layout"].get("annotations")
    assert js["layout"]["xaxis"]["range"][1] >= 40


def test_loss_curves_are_on_a_log_axis_that_contains_the_baseline(trained):
    _, tr = trained
    c = curves(view_of(tr), "loss")
    fig = checked(training_curves(c, "loss", total_steps=40, baseline=np.log(4),
                                          baseline_label="memoryless baseline", y_title="cross-entropy"))
    lay = fig.to_plotly_json()["layout"]
    assert lay["yaxis"]["type"] == "log"
    lo, hi = lay["yaxis"]["range"]
    assert 10 ** lo <= np.log(4) <= 10 ** hi
    with pytest.raises(ValueError, match="metric"):
        training_curves(c, "speed", total_steps=1, baseline=0, baseline_label="", y_title="")


def test_keep_heatmaps_show_the_engines_gates_units_by_steps(trained):
    cfg, tr = trained
    a_gru = analyse("gru", cfg, tr.runs["gru"].snapshots[-1].params)
    a_lstm = analyse("lstm", cfg, tr.runs["lstm"].snapshots[-1].params)
    fig = checked(keep_heatmaps({"gru": keep_share(a_gru), "lstm": keep_share(a_lstm)},
                                        marks=[(1, "token"), (6, "query")]))
    heat = {t.meta["kind"]: t for t in fig.data}
    np.testing.assert_allclose(np.asarray(heat["gru"].z), a_gru.gates["z"].T, atol=1e-6)   # float32 for display
    np.testing.assert_allclose(np.asarray(heat["lstm"].z), a_lstm.gates["f"].T, atol=1e-6)
    assert np.asarray(heat["gru"].z).shape == (8, cfg.spec.seq_len)
    with pytest.raises(ValueError):
        keep_heatmaps({"rnn": None})


def test_gradient_chart_plots_the_share_of_the_end_gradient_exactly(trained):
    cfg, tr = trained
    shares = {k: gradient_share(analyse(k, cfg, tr.runs[k].snapshots[-1].params).grad_norm) for k in ("rnn", "gru")}
    shares["rnn"] = shares["rnn"].copy()
    shares["rnn"][0] = 0.0                     # an exact underflow is drawn at the floor, not dropped
    fig = checked(gradient_shares(shares, marks=[(1, "token"), (6, "query")]))
    lines = {t.meta["name"]: t for t in fig.data if t.meta["role"] == "line"}
    np.testing.assert_array_equal(np.asarray(lines["GRU"].customdata), shares["gru"])
    assert np.asarray(lines["GRU"].customdata)[-1] == 1.0          # the end gradient is the unit
    assert any(t.meta["role"] == "underflow" for t in fig.data)
    assert "share of the end gradient" in fig.layout.yaxis.title.text


def test_replay_figure_names_its_lines_in_the_legend_not_on_the_plot(trained):
    cfg, tr = trained
    a = analyse("gru", cfg, tr.runs["gru"].snapshots[0].params)
    keep = keep_share(a)
    mean, best = retention(keep), retention(keep, "max")
    fig = checked(replay_figure(keep, mean, "gru", title="step 0", held_best=best))
    roles = {t.meta["role"]: t for t in fig.data}
    np.testing.assert_allclose(np.asarray(roles["retention"].y), mean)
    np.testing.assert_allclose(np.asarray(roles["best"].y), best)
    np.testing.assert_allclose(np.asarray(roles["keep"].z), keep.T, atol=1e-6)
    assert roles["best"].name == "best unit" and fig.layout.showlegend
    texts = [a.text for a in fig.layout.annotations]
    assert "best unit" not in texts                 # no free label that could sit on the subplot title


def test_accuracy_vs_delay_in_percent_with_seed_spread_and_chance_in_the_legend():
    fig = checked(accuracy_vs_delay([10, 50, 100], {"gru": np.array([100.0, 99.0, 98.0]),
                                                            "rnn": np.array([100.0, 30.0, 25.0])}, chance=25.0,
                                            spread={"rnn": (np.array([100.0, 25, 20]), np.array([100.0, 40, 30]))},
                                            mine=([10, 50], {"gru": [90.0]})))
    tr = {t.meta["kind"]: t for t in fig.data if t.meta["role"] == "delay"}
    np.testing.assert_allclose(np.asarray(tr["rnn"].y), [100, 30, 25])
    np.testing.assert_allclose(np.asarray(tr["rnn"].error_y.array), [0, 10, 5])
    np.testing.assert_allclose(np.asarray(tr["rnn"].error_y.arrayminus), [0, 5, 5])
    assert tr["gru"].error_y.array is None
    guide = next(t for t in fig.data if t.meta["role"] == "guide")
    assert guide.name == "chance 25%"
    mine = next(t for t in fig.data if t.meta["role"] == "mine")
    np.testing.assert_array_equal(np.asarray(mine.x), [10])


def test_gate_grid_shows_every_gate_of_the_analysis(trained):
    cfg, tr = trained
    a = analyse("lstm", cfg, tr.runs["lstm"].snapshots[-1].params)
    fig = checked(gate_grid({**a.gates, "h": a.h}, limits={"c": 2.5}))
    got = {t.meta["gate"]: t for t in fig.data}
    assert list(got) == ["i", "f", "g", "o", "c", "h"]
    for name, t in got.items():
        np.testing.assert_allclose(np.asarray(t.z), (a.h if name == "h" else a.gates[name]).T, atol=1e-6)
    assert got["f"].zmin == 0.0 and got["g"].zmin == -1.0 and got["c"].zmax == 2.5
