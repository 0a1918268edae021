"""The /compare page in AppTest: defaults, URL parameters drive the charts, bad links fall back with a note, the
live run of every kind trains and shows its results, the live timing runs."""
from __future__ import annotations

import json
import time

import numpy as np

import gru_core
from lab.figures.common import decode
from tests.app.conftest import exceptions, page_text, run_app, warnings_text


def charts(at) -> dict[str, dict]:
    keys = ("cmp_params_chart", "cmp_speed_chart", "cmp_flow_chart", "cmp_acc_chart", "cmp_curves_chart",
            "cmp_table_chart")
    return {k: json.loads(el.proto.spec) for el in at.get("plotly_chart") for k in keys if k in el.proto.id}


def test_defaults_show_parameters_equations_and_gradient_flow_with_the_source_numbers():
    at = run_app("compare")
    assert not exceptions(at), exceptions(at)
    got = charts(at)
    assert {"cmp_params_chart", "cmp_flow_chart"} <= set(got)
    assert "4,288" in page_text(at) and "12,864" in page_text(at) and "17,152" in page_text(at) and "3/4" in page_text(at)
    assert "sees $h_{t-1}$" in page_text(at) and r"\mathrm{diag}(z_t)" in page_text(at)


def test_url_sizes_set_the_parameter_chart():
    at = run_app("compare", cmp_input="6", cmp_hidden="32")
    assert not exceptions(at)
    y = np.asarray(decode(charts(at)["cmp_params_chart"]["data"][0]["y"]), float)
    assert list(y) == [gru_core.parameter_count(k, 6, 32) for k in ("rnn", "gru", "lstm", "gru_type1",
                                                                    "gru_type2", "gru_type3", "mgu")]


def test_bad_links_fall_back_to_the_nearest_valid_value_with_a_note():
    at = run_app("compare", cmp_hidden="100000", cmp_budget="1", cmp_len="inf", cmp_task="poetry")
    assert not exceptions(at), exceptions(at)
    assert at.slider(key="cmp_hidden").value == 256 and at.slider(key="cmp_budget").value == 2000
    notes = " ".join(warnings_text(at))
    assert "cmp_hidden" in notes and "cmp_budget" in notes


def _wait(at, key, seconds=300):
    t0 = time.perf_counter()
    while at.session_state[key].state != "finished" and time.perf_counter() - t0 < seconds:
        time.sleep(0.5)
    at.run(timeout=240)


def test_live_run_trains_every_kind_at_its_matched_size_and_shows_accuracy():
    at = run_app("compare", cmp_steps="20", cmp_delay="2", cmp_budget="2000")
    assert "| GRU type 3 |" in page_text(at)
    at.button(key="cmp_train").click().run(timeout=240)
    _wait(at, "_cmp_run")
    assert not exceptions(at), exceptions(at)
    got = charts(at)
    assert {"cmp_acc_chart", "cmp_curves_chart"} <= set(got)
    acc = np.asarray(decode(got["cmp_acc_chart"]["data"][0]["y"]), float)
    assert len(acc) == 7 and np.all((acc >= 0) & (acc <= 1))
    assert "Best held-out accuracy" in page_text(at)


def test_measure_button_times_every_module_and_says_times_differ_between_computers():
    at = run_app("compare", cmp_input="2", cmp_hidden="4")
    at.button(key="cmp_measure").click().run(timeout=240)
    _wait(at, "_cmp_speed")
    assert not exceptions(at), exceptions(at)
    spec = charts(at)["cmp_speed_chart"]
    assert len(decode(spec["data"][0]["y"])) == 10
    caption = " ".join(c.value for c in at.caption)
    assert "Times measured just now" in caption and "another computer gives other times" in caption


def test_the_task_menu_names_each_task_as_the_train_page_does_and_the_link_keeps_its_short_word():
    at = run_app("compare", cmp_task="adding")
    assert not exceptions(at), exceptions(at)
    box = at.selectbox(key="cmp_task")
    assert box.options == ["Delayed recall", "Adding problem", "Copy task"]   # was the link words: recall, ...
    assert box.value == "adding"
