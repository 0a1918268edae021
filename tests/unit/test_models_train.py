"""lab/models/train.py: Settings own defaults/limits/presets and key shared runs; views and replay points follow the
run; every sentence that interprets a number picks its words from that number (thresholds pinned here)."""
from dataclasses import replace

import numpy as np
import pytest

from gru_core import task_training as TT
from lab.models import train as M


@pytest.fixture(scope="module")
def view():
    cfg = TT.TrainConfig(delay=4, noise=0.0, hidden_size=8, steps=40, batch_size=16, eval_every=10, snapshot_every=10)
    return M.view_of(TT.train(cfg, ("rnn", "gru")))


def test_settings_defaults_are_the_training_librarys_and_the_key_holds_everything_that_decides_the_result():
    s = M.Settings()
    assert s.config() == TT.TrainConfig()
    assert s.key() == M.Settings(cells=("lstm", "gru", "rnn")).key()        # order of the picks does not matter
    assert s.key() != replace(s, chrono=False).key() and s.key() != replace(s, seed=1).key()
    assert replace(s, stop_by="time", budget=20).config().time_budget == 20.0
    assert set(M.Settings.KINDS) >= {"rnn", "gru", "lstm"}
    with pytest.raises(ValueError, match="delay"):
        replace(s, task="adding", delay=1).config()
    assert M.NO_CHRONO["tr_chrono"] is False and M.PRESETS["Same run without chrono init"]["tr_chrono"] is False


def test_running_mean_is_a_trailing_mean():
    y = np.array([1.0, 3.0, 5.0, 7.0])
    np.testing.assert_allclose(M.running_mean(y, 2), [1.0, 2.0, 4.0, 6.0])
    np.testing.assert_allclose(M.running_mean(y, 10), [1.0, 2.0, 3.0, 4.0])


def test_replay_points_are_the_snapshots_that_exist_and_each_shows_a_different_step(view):
    opts = M.replay_options(view)
    assert opts == [0, 25, 50, 75, 100]
    inside = [M.look_inside(view, p, 0) for p in opts]
    assert [i.cells["gru"].step for i in inside] == [0, 10, 20, 30, 40]
    assert "GRU at step 20" in M.replay_caption(view, inside[2], 50)


def test_the_replay_accuracy_at_the_last_snapshot_is_the_headline_accuracy(view):
    inside = M.look_inside(view, 100, 0)
    for k, c in inside.cells.items():
        assert c.accuracy == view.final[k]["accuracy"]
        assert M.pct(c.accuracy) in M.headline(view)
        assert c.grad_share[-1] == 1.0
    assert inside.cells["rnn"].keep is None and inside.cells["gru"].held_best[0] == 1.0


@pytest.mark.parametrize("acc, words", [(0.95, "solves"), (0.9, "solves"), (0.899, "above chance"),
                                        (0.30, "above chance"), (0.299, "at chance"), (0.263, "at chance")])
def test_accuracy_words_follow_the_number(acc, words):
    assert words in M.accuracy_words(acc, 0.25)


@pytest.mark.parametrize("share, words", [(9.3, "9.3 times its end gradient"), (1.05, "keeps 105%"),
                                          (0.51, "keeps 51%"), (0.1, "keeps 10%"), (0.0999, "keeps only"),
                                          (1e-3, "keeps only"), (9e-4, "practically none"),
                                          (0.0, "underflows to exactly 0"), (np.inf, "overflowed")])
def test_gradient_words_never_say_keeps_more_than_all_of_it(share, words):
    assert words in M.gradient_words("GRU", share)


@pytest.mark.parametrize("held, words", [(0.5, "most"), (0.49, "some"), (0.05, "some"), (0.049, "almost none")])
def test_memory_words_follow_the_number(held, words):
    assert words in M.held_words(held)


def test_untrained_words_say_that_with_chrono_init_the_gate_already_keeps():
    chrono, default = TT.TrainConfig(), TT.TrainConfig(chrono=False)
    assert "already keeps" in M.untrained_words(chrono, "GRU", 0.6)
    assert "already keeps" not in M.untrained_words(chrono, "GRU", 0.01)
    assert "fades within a few steps" in M.untrained_words(default, "GRU", 1e-9)
    assert "chrono init" in M.untrained_words(chrono, "GRU", 0.6) and "default init" in M.untrained_words(default,
                                                                                                          "GRU", 0.6)


def test_chrono_words_say_the_win_depends_on_chrono_init_and_follow_the_gru_number():
    final = lambda acc: {"gru": {"accuracy": acc}, "rnn": {"accuracy": 0.361}}   # noqa: E731
    on = M.chrono_words(TT.TrainConfig(), final(1.0))
    assert "solves" in on and "chrono init" in on and "Same run without chrono init" in on
    off = M.chrono_words(TT.TrainConfig(chrono=False), final(0.263))
    assert "at chance" in off and "26.3%" in off and "keep gate starts near ½" in off
    assert "even without chrono init" in M.chrono_words(TT.TrainConfig(chrono=False), final(0.97))
    assert M.chrono_words(TT.TrainConfig(), {"rnn": {"accuracy": 0.3}}) is None


def test_sequence_words_put_one_sequence_beside_all_held_out_sequences(view):
    text = M.sequence_words(view.config, M.look_inside(view, 100, 3), 3)
    assert text.startswith("On test sequence 3: RNN") and "1,024 held-out sequences" in text
    assert M.pct(view.final["gru"]["accuracy"]) in text


def test_student_text_names_no_modules_files_or_machines(view):
    inside = M.look_inside(view, 0, 0)
    texts = [M.sequence_words(view.config, inside, 0), M.gradient_sentence(inside), M.keep_reading(view.config),
             M.headline(view), M.delay_reading(None), M.replay_caption(view, inside, 0),
             M.untrained_words(view.config, "GRU", 0.5), M.chrono_words(view.config, view.final)]
    for t in texts:
        assert not any(w in t for w in ("scripts/", ".py", "gru_core", "core machine", "engine:")), t


def test_sweep_job_reports_each_delay_as_it_finishes():
    s = M.Settings(cells=("gru",), steps=50, hidden=8, sweep_delays=(10, 5))
    job = s.sweep_job()
    assert job.delays == (5, 10) and job.view().done == ()
    job.run(lambda: None)
    v = job.view()
    assert v.done == (5, 10) and len(v.accuracy["gru"]) == 2 and job.progress() == 1.0
    with pytest.raises(ValueError, match="delay"):
        replace(s, sweep_delays=(5, 1000)).sweep_job()


def test_the_cell_picker_offers_every_kind_that_trains_and_variants_are_analysed_like_the_gru():
    assert M.Settings.KINDS == TT.KINDS and {"mgu", "gru_type1", "gru_type3"} <= set(M.Settings.KINDS)
    s = M.Settings(cells=("mgu", "gru_type3", "rnn"), delay=5, steps=20, hidden=8)
    assert s.ordered_cells == ("rnn", "gru_type3", "mgu")          # the picker's order, whatever the click order
    job = s.job()
    job.run(lambda: None)
    v = job.view()
    assert v.gated == ["gru_type3", "mgu"]
    inside = M.look_inside(v, 100, 0)
    mgu = inside.cells["mgu"]
    np.testing.assert_allclose(mgu.keep, 1.0 - mgu.analysis.gates["f"])    # MGU keeps with 1 - f
    assert inside.cells["rnn"].keep is None and mgu.held_best[0] == 1.0
