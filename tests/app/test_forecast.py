"""Forecast page in AppTest: pretrained results at once, baselines for any series, live training, uploads and
their messages, bad links."""
from __future__ import annotations

import json
import time

import numpy as np

from lab.figures.common import decode
from tests.app.conftest import exceptions, page_text, run_app, warnings_text

TINY = dict(fc_series="Synthetic (trend + cycles + noise)", fc_steps="20", fc_budget="1,000", fc_h="10",
            fc_window="12")


def charts(at) -> dict[str, dict]:
    """chart key -> figure dict."""
    return {key: json.loads(el.proto.spec) for el in at.get("plotly_chart")
            for key in [k for k in ("fc_series_chart", "fc_forecast_chart", "fc_curves_chart", "fc_gate_chart",
                                    "fc_sens_chart") if k in el.proto.id]}


def roles(spec: dict) -> dict[str, np.ndarray]:
    return {t["meta"]["role"]: np.asarray(decode(t["y"]), dtype=float) for t in spec["data"]
            if isinstance(t.get("meta"), dict) and "y" in t}


def test_default_page_shows_pretrained_networks_and_baselines_at_once_in_the_forecast_tab():
    at = run_app("forecast")
    assert not exceptions(at), exceptions(at)
    got = charts(at)
    assert set(got) == {"fc_forecast_chart"}          # only the open tab's chart is built
    r = roles(got["fc_forecast_chart"])
    assert {"forecast:naive", "forecast:ets", "forecast:gru", "forecast:rnn", "forecast:lstm", "truth"} <= set(r)
    assert len(r["truth"]) == 24
    words = page_text(at)
    assert "trained in advance" in words and "most accurate forecast is" in words and "| GRU |" in words


def test_each_tab_builds_only_its_own_chart_and_is_named_in_the_link():
    for word, key in (("series", "fc_series_chart"), ("training", "fc_curves_chart"), ("gate", "fc_gate_chart"),
                      ("reach", "fc_sens_chart")):
        at = run_app("forecast", fc_view=word)
        assert not exceptions(at), exceptions(at)
        assert set(charts(at)) == {key}, (word, set(charts(at)))
        assert at.query_params.get("fc_view") in (word, [word])
    at.session_state["fc_view"] = "Forecast"           # the student clicks the first tab: back to the default view
    at.run()
    assert set(charts(at)) == {"fc_forecast_chart"} and at.query_params.get("fc_view") is None
    at.session_state["fc_view"] = "Whole series"
    at.run()
    assert set(charts(at)) == {"fc_series_chart"}
    assert len(roles(charts(at)["fc_series_chart"])["test"]) == 25      # the held-out part and the value before it


def test_the_inside_tabs_ask_to_train_when_no_network_is_trained():
    at = run_app("forecast", fc_series="Sunspots (yearly)", fc_view="reach")
    assert not exceptions(at) and not charts(at)
    assert "Train (or keep the default settings" in page_text(at)


def test_another_series_shows_its_baselines_and_asks_to_train():
    at = run_app("forecast", fc_series="Sunspots (yearly)")
    assert not exceptions(at), exceptions(at)
    got = charts(at)
    assert set(got) == {"fc_forecast_chart"}
    assert len(roles(got["fc_forecast_chart"])["truth"]) == 22
    assert "press Train" in page_text(at)


def test_train_runs_live_and_then_shows_every_network():
    at = run_app("forecast", **TINY)
    assert "press Train" in page_text(at)
    at.button(key="fc_train").click().run()
    t0 = time.perf_counter()
    while at.session_state["_fc_run"].state != "finished" and time.perf_counter() - t0 < 120:
        time.sleep(0.3)
    at.run()
    assert not exceptions(at), exceptions(at)
    got = charts(at)
    assert {"forecast:gru", "forecast:rnn", "forecast:lstm"} <= set(roles(got["fc_forecast_chart"]))
    assert "Trained in" in page_text(at)
    for label, key in (("Training", "fc_curves_chart"), ("How far back", "fc_sens_chart")):
        at.session_state["fc_view"] = label
        at.run()
        assert not exceptions(at) and key in charts(at), (label, exceptions(at))


def test_stop_ends_the_run_and_keeps_what_was_learned():
    at = run_app("forecast", **dict(TINY, fc_steps="2000"))
    at.button(key="fc_train").click().run()
    run = at.session_state["_fc_run"]
    t0 = time.perf_counter()
    while run.progress() < 0.02 and time.perf_counter() - t0 < 60:
        time.sleep(0.2)
    at.button(key="fc_stop").click().run()
    t0 = time.perf_counter()
    while run.state != "finished" and time.perf_counter() - t0 < 60:
        time.sleep(0.2)
    at.run()
    assert not exceptions(at), exceptions(at)
    at.session_state["fc_view"] = "Training"
    at.run()
    assert "stopped by request" in page_text(at) and "fc_curves_chart" in charts(at)
    assert 0 < max(v.history["step"][-1] for v in run.view().values()) < 2000


def test_upload_a_csv_pick_a_column_and_get_forecasts():
    at = run_app("forecast", fc_series="Upload a CSV file")
    assert not exceptions(at)
    rows = "".join(f"2001-{1 + i // 28:02d}-{1 + i % 28:02d},{np.sin(i / 4) + i / 50:.4f},x{i}\n" for i in range(120))
    at.get("file_uploader")[0].set_value(("mine.csv", ("day,level,label\n" + rows).encode(), "text/csv")).run()
    assert not exceptions(at), exceptions(at)
    assert at.selectbox(key="fc_upload_col").options == ["level"]
    got = charts(at)
    assert "fc_forecast_chart" in got and len(roles(got["fc_forecast_chart"])["truth"]) == 12


def test_a_bad_upload_gets_its_message_and_the_page_stays_up():
    at = run_app("forecast", fc_series="Upload a CSV file")
    at.get("file_uploader")[0].set_value(("bad.csv", b"value\n1\n2\nthree\n" + b"4\n" * 50, "text/csv")).run()
    assert not exceptions(at)
    errors = [e.value for e in at.error]
    assert errors and "row 4 holds 'three'" in errors[0] and "Allowed" in errors[0]


def test_a_horizon_beyond_the_series_falls_back_to_the_largest_with_a_note():
    at = run_app("forecast", fc_series="Nile flow (yearly)", fc_h="9999")
    assert not exceptions(at)
    assert at.slider(key="fc_h").value == 25
    assert any("fc_h" in w for w in warnings_text(at))
