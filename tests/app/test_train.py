"""Train page in AppTest: it trains for real, shows the trainer's numbers, stops, keeps results across pages,
and turns bad settings into messages."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from gru_core import task_training as TR
from lab.models import train as M
from tests.app.conftest import exceptions, page_text, plotly_specs, run_app, warnings_text
from lab.figures.common import decode

ROOT = Path(__file__).resolve().parents[2]
TINY = dict(tr_delay="5", tr_steps="50", tr_hidden="8")


def wait_finished(at, timeout: float = 120.0, slot: str = "_tr_run"):
    """The Run in ``slot`` once it has finished (the page rerun after it)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        run = at.session_state[slot]
        if run.state == "finished":
            at.run()
            return run
        time.sleep(0.3)
        at.run()
    raise AssertionError("training did not finish in time")


def chart(at, key: str) -> dict:
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        if el.proto.id and key in el.proto.id:
            return spec
    raise KeyError(key)


def acc_traces(at) -> dict[str, np.ndarray]:
    """kind -> held-out accuracy dots (%) of the accuracy chart."""
    spec = plotly_specs(at)[0]
    return {t["meta"]["kind"]: np.asarray(decode(t["y"]), dtype=float)
            for t in spec["data"] if t.get("meta", {}).get("role") == "eval"}


def test_default_page_shows_the_pretrained_checkpoint_at_once():
    at = run_app("train")
    assert not exceptions(at)
    v = at.session_state["_tr_run"].view()
    assert v.source == "checkpoint" and tuple(v.models) == ("rnn", "gru", "lstm")
    got = acc_traces(at)
    for k, m in v.models.items():
        np.testing.assert_allclose(got[k], 100 * np.asarray(m.history.eval_acc), rtol=1e-6)
    assert any("Held-out accuracy" in i.value for i in at.info)
    keys = [el.proto.id.split("-")[-1] for el in at.get("plotly_chart")]
    assert [k for k in keys if k != "tr_delay_chart"] == ["tr_acc_chart", "tr_loss_chart", "tr_keep_chart"], keys


def test_train_button_trains_live_and_the_charts_hold_the_trainers_numbers():
    at = run_app("train", **TINY)
    assert not exceptions(at)
    at.button(key="tr_train_btn").click().run()
    assert not exceptions(at)
    v = wait_finished(at).view()
    assert v.source == "live" and v.config.delay == 5 and v.config.hidden_size == 8
    assert v.stop_reason == "steps" and all(len(m.history.step) == 50 for m in v.models.values())
    got = acc_traces(at)
    for k, m in v.models.items():
        np.testing.assert_allclose(got[k], 100 * np.asarray(m.history.eval_acc), rtol=1e-6)
    head = " ".join(i.value for i in at.info)
    for k, f in v.final.items():
        assert f"{100 * f['accuracy']:.1f}%" in head
    # the analysis shows the final snapshot of each model
    assert any("GRU at step 50" in c.value for c in at.caption)


def test_result_is_kept_when_switching_pages_and_back():
    at = run_app("train", **TINY)
    at.button(key="tr_train_btn").click().run()
    run = wait_finished(at)
    at.switch_page("pages/home.py").run()
    assert not exceptions(at)
    at.switch_page("pages/train.py").run()
    assert not exceptions(at)
    assert at.session_state["_tr_run"] is run
    assert any("GRU at step 50" in c.value for c in at.caption)


def test_stop_button_stops_the_run_and_keeps_what_was_learned():
    at = run_app("train", tr_delay="5", tr_steps="5000", tr_hidden="8")
    at.button(key="tr_train_btn").click().run()
    time.sleep(1.0)
    at.run()
    assert at.session_state["_tr_run"].state == "running"
    at.button(key="tr_stop_btn").click().run()
    v = wait_finished(at).view()
    assert v.stop_reason == "stopped"
    assert all(m.status == "stopped" and 0 < len(m.history.step) < 5000 for m in v.models.values())
    assert any("stopped by request" in w.value for w in at.warning)
    assert not exceptions(at)


def test_diverging_learning_rate_gives_a_clear_message_and_keeps_the_best_weights():
    at = run_app("train", tr_delay="5", tr_steps="300", tr_hidden="8", tr_lr="10", tr_clip="0", tr_cells=["RNN"])
    at.button(key="tr_train_btn").click().run()
    r = wait_finished(at).view().models["rnn"]
    assert r.status == "diverged" and len(r.history.step) < 300
    errors = [e.value for e in at.error]
    assert any("Training diverged" in e and "learning rate 10" in e for e in errors)
    assert not exceptions(at)
    assert len(at.get("plotly_chart")) >= 2           # what was learned so far is still drawn


@pytest.mark.parametrize("query, key, used, words", [
    ({"tr_delay": "1000"}, "tr_delay", 300, "above the maximum 300"),
    ({"tr_delay": "-3"}, "tr_delay", 5, "below the minimum 5"),
    ({"tr_hidden": "abc"}, "tr_hidden", 32, "not a number"),
])
def test_bad_url_settings_fall_back_with_a_note(query, key, used, words):
    at = run_app("train", **query)
    assert not exceptions(at)
    assert at.slider(key=key).value == used
    assert any(words in w for w in warnings_text(at))


def test_accuracy_vs_delay_chart_holds_the_shipped_table():
    path = ROOT / "checkpoints" / "accuracy_vs_delay.json"
    if not path.exists():
        pytest.skip("no shipped table yet")
    table = json.loads(path.read_text())
    at = run_app("train")
    specs = plotly_specs(at)
    spec = next(s for s in specs if any(t.get("meta", {}).get("role") == "delay" for t in s["data"]))
    for t in (t for t in spec["data"] if t["meta"]["role"] == "delay"):
        k = t["meta"]["kind"]
        np.testing.assert_allclose(np.asarray(decode(t["y"]), dtype=float), 100 * np.asarray(table["cells"][k]["mean"]))
        np.testing.assert_array_equal(np.asarray(decode(t["x"])), table["delays"])


def test_time_budget_stops_the_run_by_time():
    at = run_app("train", tr_delay="5", tr_hidden="8", tr_stop="time budget", tr_budget="5")
    assert not exceptions(at)
    at.button(key="tr_train_btn").click().run()
    v = wait_finished(at).view()
    assert v.config.time_budget == 5 and v.stop_reason == "time budget"
    assert all(m.status == "done" and 0 < len(m.history.step) for m in v.models.values())
    assert any("time budget of 5 s used" in c.value for c in at.caption)
    assert not exceptions(at)


def test_every_gate_of_a_model_is_shown_on_request():
    at = run_app("train", tr_gates_cell="LSTM")
    assert not exceptions(at)
    v = at.session_state["_tr_run"].view()
    spec = next(s for s in plotly_specs(at) if any((t.get("meta") or {}).get("role") == "gate" for t in s["data"]))
    gates = [t["meta"]["gate"] for t in spec["data"]]
    assert gates == ["i", "f", "g", "o", "c", "h"]
    a = TR.analyse("lstm", v.config, v.models["lstm"].snapshots[-1].params, v.config.steps, 0)
    f = next(t for t in spec["data"] if t["meta"]["gate"] == "f")
    np.testing.assert_allclose(np.asarray(decode(f["z"]), dtype=float).reshape(a.gates["f"].T.shape),
                               a.gates["f"].T, atol=1e-6)


def test_accuracy_vs_delay_on_demand_for_the_students_settings():
    at = run_app("train", tr_steps="50", tr_hidden="8", tr_cells=["GRU"], tr_sweep_delays=["5", "10"])
    assert not exceptions(at)
    at.button(key="tr_sweep_btn").click().run()
    v = wait_finished(at, slot="_tr_sweep").view()
    assert not exceptions(at)
    assert v.done == (5, 10) and v.config.steps == 50 and v.cells == ("gru",)
    spec = next(s for s in plotly_specs(at) if any((t.get("meta") or {}).get("role") == "mine" for t in s["data"]))
    mine = next(t for t in spec["data"] if (t.get("meta") or {}).get("role") == "mine")
    np.testing.assert_allclose(np.asarray(decode(mine["y"]), dtype=float), 100 * np.asarray(v.accuracy["gru"]))
    assert any("Your sweep" in c.value for c in at.caption)


@pytest.mark.parametrize("task, label", [("adding", "Adding problem"), ("copy", "Copy task")])
def test_adding_and_copy_tasks_train_and_are_analysed(task, label):
    at = run_app("train", tr_task=label, tr_delay="10", tr_steps="50", tr_hidden="8")
    assert not exceptions(at)
    at.button(key="tr_train_btn").click().run()
    v = wait_finished(at).view()
    assert v.config.task == task and not exceptions(at)
    spec = v.config.spec
    assert any(f"Chance is {100 * spec.chance_accuracy:.1f}%" in i.value for i in at.info)
    loss_chart = plotly_specs(at)[1]
    guide = next(t for t in loss_chart["data"] if t["meta"]["role"] == "guide")
    np.testing.assert_allclose(np.asarray(decode(guide["y"]), dtype=float), spec.baseline_loss, rtol=1e-12)


def test_one_click_trains_the_same_run_without_chrono_init_and_the_texts_follow_it():
    at = run_app("train", **TINY, tr_cells=["GRU", "LSTM"], tr_view="replay")
    at.button(key="tr_nochrono_btn").click().run()
    assert not exceptions(at)
    v = wait_finished(at).view()
    assert v.config.chrono is False and v.config.delay == 5 and tuple(v.models) == ("gru", "lstm")
    assert at.toggle(key="tr_chrono").value is False          # the control shows what was trained
    text = page_text(at)
    assert "without chrono init" in text and "(untrained, chrono init)" not in text
    at.select_slider(key="tr_replay").set_value(0).run()
    assert "untrained GRU (PyTorch's default init)" in page_text(at)
    assert "At 0% (untrained, default init)" in page_text(at)


def test_replay_offers_only_trained_gated_cells_and_its_title_agrees_with_the_headline():
    at = run_app("train", **TINY, tr_cells=["RNN", "GRU"], tr_view="replay")
    at.button(key="tr_train_btn").click().run()
    v = wait_finished(at).view()
    assert v.gated == ["gru"]
    replay = next(s for s in plotly_specs(at) if any((t.get("meta") or {}).get("role") == "best" for t in s["data"]))
    acc = f"{100 * v.final['gru']['accuracy']:.1f}%"
    assert replay["layout"]["title"]["text"].endswith(f"held-out accuracy {acc}")
    assert acc in " ".join(i.value for i in at.info)
    picker = next(el for el in at.get("button_group") if el.proto.id.endswith("tr_replay_cell"))
    assert "LSTM" not in json.dumps([o.content for o in picker.proto.options])


def test_replay_slider_snaps_to_the_snapshots_that_exist_and_says_which_step_is_shown():
    at = run_app("train", tr_replay="35")
    assert not exceptions(at)
    opts = [int(o) for o in at.select_slider(key="tr_replay").options]
    v = at.session_state["_tr_run"].view()
    assert len(opts) == len({s for m in v.models.values() for s in m.snapshot_steps})   # one point per snapshot
    assert at.select_slider(key="tr_replay").value == 30                              # nearest existing point
    assert any("tr_replay=35" in w and "nearest" in w for w in warnings_text(at))
    assert any("GRU at step 300" in c.value for c in at.caption)
    at.select_slider(key="tr_replay").set_value(40).run()
    assert any("GRU at step 400" in c.value for c in at.caption)


def test_accuracy_over_all_held_out_sequences_sits_beside_the_single_test_sequence():
    at = run_app("train")
    text = page_text(at)
    assert "On test sequence 0: RNN " in text and "over all 1,024 held-out sequences" in text


def test_with_chrono_init_the_untrained_gate_already_keeps_and_the_gradient_chart_is_a_share():
    at = run_app("train", tr_replay="0", tr_view="replay")
    assert "already keeps" in page_text(at)
    at.session_state["tr_view"] = "Gradient"
    at.run()
    grad = next(s for s in plotly_specs(at) if s["layout"]["yaxis"].get("title", {}).get("text", "")
                == "share of the end gradient")
    gru = next(t for t in grad["data"] if t.get("name") == "GRU" and t["meta"]["role"] == "line")
    assert np.asarray(decode(gru["customdata"]), dtype=float)[-1] == 1.0


def test_student_text_names_no_scripts_or_machines_outside_the_developer_expander():
    at = run_app("train")
    expanders = [e for e in at.expander if "For developers" in e.label]
    assert expanders and "scripts/make_delay_table.py" in "".join(m.value for m in expanders[0].markdown)
    dev = {m.value for m in expanders[0].markdown}
    for t in [m.value for m in at.markdown if m.value not in dev] + [c.value for c in at.caption]:
        assert "scripts/" not in t and "core machine" not in t, t


def test_at_the_defaults_the_one_click_contrast_is_the_shipped_finished_run_at_once():
    if not (ROOT / "checkpoints" / "recall_nochrono.npz").exists():
        pytest.skip("no shipped no-chrono run")
    at = run_app("train")
    at.button(key="tr_nochrono_btn").click().run()
    run = at.session_state["_tr_run"]
    v = run.view()
    assert run.state == "finished" and v.source == "checkpoint" and v.config.chrono is False
    text = page_text(at)
    assert "without chrono init" in text and "default init" in text
    assert f"GRU {100 * v.final['gru']['accuracy']:.1f}%" in " ".join(i.value for i in at.info)


def test_only_the_open_tab_of_inside_the_models_is_drawn_and_the_tab_is_in_the_link():
    at = run_app("train")
    roles = lambda: {(t.get("meta") or {}).get("role") for s in plotly_specs(at) for t in s["data"]}  # noqa: E731
    assert not exceptions(at) and "keep" in roles() and not roles() & {"gate", "best", "line"}
    for label, word, role in (("Every gate", "gates", "gate"), ("Replay", "replay", "best"),
                              ("Gradient", "grad", "line")):
        at.session_state["tr_view"] = label
        at.run()
        assert not exceptions(at) and role in roles() and at.query_params["tr_view"] in (word, [word])
        assert len([r for r in roles() if r in {"gate", "best", "line"}]) == 1, roles()


def test_moving_a_setting_reruns_only_the_settings_and_a_press_trains_those_settings():
    at = run_app("train", **TINY)
    before = [el.proto.spec for el in at.get("plotly_chart")]
    at.slider(key="tr_delay").set_value(7).run()
    assert [el.proto.spec for el in at.get("plotly_chart")] == before     # the charts show the run held
    at.button(key="tr_train_btn").click().run()
    assert wait_finished(at).view().config.delay == 7


def test_at_most_four_cells_train_at_once_so_every_legend_names_at_most_four():
    at = run_app("train", tr_cells=["rnn", "gru", "lstm", "mgu", "gru_type1"])
    assert not exceptions(at)
    assert at.session_state["_tr_settings"].cells == ("rnn", "gru", "lstm", "gru_type1")
    assert any("At most 4 at once" in i.value for i in at.info)
