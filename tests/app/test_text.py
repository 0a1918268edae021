"""AppTest of the text and translation pages: the pretrained models at once, links, controls that change the
charts, your own text (good and bad), and settings that are not trained yet."""
from __future__ import annotations

import numpy as np
import pytest

from lab.figures.common import decode
from lab.models import text as M
from lab.models import translate as TL
from tests.app.conftest import exceptions, plotly_specs, run_app, warnings_text


def _chart(at, kind: str) -> dict:
    return next(s for s in plotly_specs(at) if s["data"][0]["type"] == kind)


def test_text_page_shows_the_pretrained_models_against_the_ngrams():
    at = run_app("text")
    assert not exceptions(at)
    bars = plotly_specs(at)[0]["data"][0]
    pre = M.pretrained_run().view()
    base = M.baselines(None, "kneser-ney")
    assert sorted(np.asarray(bars["customdata"])) == pytest.approx(sorted(base.bpc + tuple(pre.test_bpc.values())))
    assert any("fewer than the trigram" in s.value for s in at.success)
    assert len(plotly_specs(at)) == 1                 # only the open tab's chart is built


def test_each_tab_builds_only_its_own_charts_and_is_named_in_the_link():
    for word, kinds in (("curves", ["scatter"]), ("write", ["bar"]), ("gates", ["heatmap"])):
        at = run_app("text", tx_view=word)
        assert not exceptions(at), exceptions(at)
        assert [s["data"][0]["type"] for s in plotly_specs(at)] == kinds, word
        assert at.query_params.get("tx_view") in (word, [word])
    at = run_app("text", tx_view="gates", tx_gate_view="unit")
    assert [s["data"][0]["type"] for s in plotly_specs(at)] == ["bar"]      # the feature's bars under the unit's line
    assert plotly_specs(at)[0]["data"][1]["name"].startswith("unit")
    at.session_state["tx_view"] = "Does a GRU beat counting?"               # back to the default tab
    at.run()
    assert len(plotly_specs(at)) == 1 and at.query_params.get("tx_view") is None


def test_temperature_link_and_slider_change_the_next_character_bars():
    at = run_app("text", tx_temp="0.3", tx_view="write")
    assert not exceptions(at) and at.slider(key="tx_temp").value == 0.3
    cold = plotly_specs(at)[0]["data"][0]
    at.slider(key="tx_temp").set_value(1.5).run()
    warm = plotly_specs(at)[0]["data"][0]
    assert not exceptions(at)
    assert np.asarray(cold["customdata"])[0] > np.asarray(warm["customdata"])[0]


def test_feature_and_passage_controls_change_the_unit_trace():
    at = run_app("text", tx_view="gates", tx_gate_view="unit")
    before = plotly_specs(at)[0]["data"][1]["name"]
    at.selectbox(key="tx_feature").set_value("line_pos").run()
    assert not exceptions(at)
    after = plotly_specs(at)[0]["data"][0]["name"]
    assert after == "position in the line" and before.startswith("unit")
    at.session_state["tx_gate_view"] = "Gates of the busiest units"
    at.selectbox(key="tx_passage").set_value("own").run()
    at.text_input(key="tx_own_passage").set_value('say "yes" (or no)').run()
    assert not exceptions(at)
    assert len(_chart(at, "heatmap")["layout"]["xaxis"]["labelalias"]) == len('say "yes" (or no)')


def test_bad_url_values_fall_back_with_a_note():
    at = run_app("text", tx_temp="abc", tx_view="write")
    assert not exceptions(at)
    assert at.slider(key="tx_temp").value == 0.8 and len(warnings_text(at)) == 1
    at = run_app("text", tx_feature="nonsense", tx_view="gates")
    assert not exceptions(at)
    assert at.selectbox(key="tx_feature").value == "quote" and len(warnings_text(at)) == 1
    at = run_app("text", tx_hidden="9999", tx_seed="99999")
    assert not exceptions(at)
    assert at.slider(key="tx_hidden").value == 128 and at.number_input(key="tx_seed").value == 9999
    at = run_app("translate", tl_number="-5", tl_colour="??")
    assert not exceptions(at) and at.number_input(key="tl_number").value == 0


def test_settings_not_trained_yet_show_only_the_ngrams_and_a_train_button():
    at = run_app("text", tx_hidden="32")
    assert not exceptions(at)
    assert len(plotly_specs(at)) == 1 and len(plotly_specs(at)[0]["data"][0]["y"]) == 3
    assert any("not been trained" in i.value for i in at.info)
    assert not at.button(key="tx_train").disabled


def test_own_text_too_short_gets_a_message_and_a_good_one_is_used():
    at = run_app("text", tx_corpus="own")
    at.text_area(key="tx_paste").set_value("much too short").run()
    at.button(key="tx_use").click().run()
    assert not exceptions(at)
    assert any("at least 2,000" in e.value for e in at.error)
    at.text_area(key="tx_paste").set_value("the cat sat on the mat. " * 200).run()
    at.button(key="tx_use").click().run()
    assert not exceptions(at)
    assert any("your text" in c.value for c in at.caption)
    assert len(plotly_specs(at)[0]["data"][0]["y"]) == 3          # only the n-grams until trained


def test_translate_page_shows_the_pretrained_translator_and_the_typed_number():
    at = run_app("translate")
    assert not exceptions(at)
    lengths = plotly_specs(at)[1]["data"][0]
    r = TL.length_accuracy(TL.pretrained_run().view().weights, 0, 6)
    np.testing.assert_allclose(decode(lengths["y"]), r.accuracy)
    at.number_input(key="tl_number").set_value(40002).run()
    assert not exceptions(at)
    assert any("forty thousand and two" in m.value for m in at.markdown)
    dec = plotly_specs(at)[-1]
    assert dec["layout"]["xaxis"]["ticktext"][0] == "start→4"


def test_translate_colour_control_regroups_the_summary():
    at = run_app("translate", tl_colour="last")
    assert not exceptions(at)
    assert len(plotly_specs(at)[2]["data"]) == 10


def test_translate_settings_not_trained_yet_say_so():
    at = run_app("translate", tl_digits="3")
    assert not exceptions(at)
    assert any("not been trained" in i.value for i in at.info) and len(plotly_specs(at)) == 0


def test_train_button_trains_live_and_the_page_then_shows_the_new_models():
    at = run_app("text", tx_hidden="16", tx_steps="100", tx_seed="7")
    at.button(key="tx_train").click().run()
    assert not exceptions(at)
    run = at.session_state[M.RUN_SHOWN]
    assert run.key == M.run_key(None, M.TextSettings(hidden_size=16, steps=100, seed=7))
    run.join(timeout=600)
    at.run()
    assert not exceptions(at) and run.state == "finished" and not run.note
    names = plotly_specs(at)[0]["data"][0]["y"]
    assert len(names) == 6
    at.session_state["tx_view"] = "Let it write"
    at.run()
    assert not exceptions(at) and at.slider(key="tx_temp").value == 0.8      # models ready: generation is shown
