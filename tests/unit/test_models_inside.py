"""The step-through and gate-explorer models: Settings -> cached compute -> Result hold the engine's numbers, and
every sentence that reads a number chooses its words from that number (the thresholds are pinned here)."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import gru_core
from lab import equations as E
from lab.models import gate_explorer as GE
from lab.models import step_through as ST


def _terms(z: float, r: float = 0.5, mix: str = "torch") -> E.StepTerms:
    zero = dict(wx_r=0.0, b_ir=0.0, uh_r=0.0, b_hr=0.0, wx_z=0.0, b_iz=0.0, uh_z=0.0, b_hz=0.0, wx_n=0.0, b_in=0.0,
                uh_n=0.0, b_hn=0.0)
    return E.StepTerms(t=1, unit=0, mix=mix, reset="after", x=np.zeros(1), h_prev=0.5, r=r, z=z, n=0.1, h=0.2,
                       **zero)


# ------------------------------------------------------------------------------------------------ step-through

def test_step_through_compute_is_the_engine_run_in_every_convention():
    s = ST.Settings(hidden=4, input=2, seed=3, signal="noise", len=12, amp=2.0, mix="wiki", reset="before")
    res = ST.compute(s)
    x = gru_core.signal("noise", 12, 2, seed=3, at=2, amplitude=2.0, period=12.0)
    ref = gru_core.record(gru_core.make_cell("gru", 2, 4, seed=3, reset="before"), x)
    np.testing.assert_allclose(res.run.h, ref.h[:, 0], atol=1e-12)                # wiki = the same model
    np.testing.assert_allclose(res.run.z, 1 - ref.gates["z"][:, 0], atol=1e-12)
    assert res.dh_mix < 1e-12 and res.dh_reset > 1e-3 and res.typed_error is None


def test_a_typed_sequence_that_does_not_parse_falls_back_to_the_default_with_its_message():
    res = ST.compute(ST.Settings(source="typed", seq="1, two", input=2))
    assert "is not a number" in res.typed_error
    assert res.run.x.shape == (10, 2)                                              # DEFAULT_SEQ per input


def test_step_view_reproduces_the_recorded_step_and_clamps_out_of_range_steps():
    res = ST.compute(ST.DEFAULTS)
    v = ST.step_view(res, 99, 7)                                                   # t -> T, unit -> H - 1
    assert (v.terms.t, v.terms.unit) == (res.steps, ST.DEFAULTS.hidden - 1)
    assert v.agree < 1e-12 and v.terms.h == pytest.approx(res.run.h[-1, -1], abs=1e-12)
    assert v.other_mix.z == pytest.approx(1 - v.terms.z, abs=1e-12) and v.mix_name == "wiki"


@pytest.mark.parametrize("keep, words", [(0.9, "kept the memory"), (0.899, "mixed"), (0.101, "mixed"),
                                         (0.1, "overwrote the memory")])
def test_the_mix_sentence_follows_the_share_kept(keep, words):
    assert words in ST.mix_sentence(_terms(keep))
    assert words in ST.mix_sentence(_terms(1 - keep, mix="wiki"))                 # wiki: z is the share written
    assert f"{100 * keep:.0f}% of the old state" in ST.mix_sentence(_terms(keep))


@pytest.mark.parametrize("r, words", [(0.9, "open"), (0.5, "50%"), (0.1, "shut")])
def test_the_reset_sentence_follows_r(r, words):
    assert words in ST.reset_sentence(_terms(0.5, r=r))


# ------------------------------------------------------------------------------------------------ gate explorer

@pytest.mark.parametrize("share, words", [(0.5, "still holds 50%"), (0.4999, "is losing it"),
                                          (0.01, "is losing it"), (0.0099, "has forgotten it")])
def test_memory_words_follow_the_share_held(share, words):
    assert words in GE.memory_words(share)


def test_held_share_is_the_end_over_the_peak():
    assert GE.held_share(np.array([0.0, 0.8, -0.4]), 0) == pytest.approx(0.5)
    assert GE.held_share(np.zeros(4), 0) == 0.0


def test_half_life_of_a_slope():
    assert GE.half_life(0.5) == pytest.approx(1.0) and GE.half_life(-0.5) == pytest.approx(1.0)
    assert GE.half_life(1.0) == math.inf and GE.half_life(0.0) == 0.0


def test_at_the_defaults_the_gru_keeps_the_impulse_and_the_rnn_forgets_it():
    res = GE.compute(GE.DEFAULTS)
    assert "still holds" in GE.story(res)
    rnn = GE.compute(dataclasses.replace(GE.DEFAULTS, clamp_z=True, z_value=0.0, clamp_r="1"))
    words = GE.rnn_words(rnn)
    assert "exactly a tanh RNN" in words and "the RNN has forgotten it" in words and "bistable" not in words
    assert "the GRU without the clamps still holds" in words


def test_the_latch_preset_remembers_even_as_an_rnn_and_says_why():
    latch = GE.Settings(**{k[3:]: v for k, v in GE.PRESETS["Bistable latch (U_n = 3)"].items()})
    rnn = GE.compute(dataclasses.replace(latch, clamp_z=True, z_value=0.0, clamp_r="1"))
    assert "the RNN still holds" in GE.rnn_words(rnn) and "bistable" in GE.rnn_words(rnn)
    words = GE.map_words(GE.fixed_point_map(latch, 0.0, 0.1))
    assert "3 fixed points" in words and "latch" in words


def test_map_words_follow_the_number_and_slope_of_the_fixed_points():
    leak = GE.map_words(GE.fixed_point_map(GE.DEFAULTS, 0.0, 0.1))
    assert "1 fixed point**" in leak and "slowly" in leak                          # slope 0.996 >= LEAK_SLOW
    fast = GE.Settings(**{k[3:]: v for k, v in GE.PRESETS["No memory (z = 0.5, U_n = 0.8)"].items()})
    m = GE.fixed_point_map(fast, 0.0, 0.1)
    assert abs(m.fixed[0].slope) < GE.LEAK_SLOW and "quickly" in GE.map_words(m)
    frozen = GE.fixed_point_map(dataclasses.replace(GE.DEFAULTS, clamp_z=True, z_value=1.0), 0.0, 0.1)
    assert frozen.z_frozen and "never moves" in GE.map_words(frozen)


def test_only_the_defaults_are_called_the_defaults():
    assert GE.is_default(GE.DEFAULTS)
    assert GE.is_default(dataclasses.replace(GE.DEFAULTS, mode="multi", signal="sine"))
    assert not GE.is_default(dataclasses.replace(GE.DEFAULTS, un=3.0))


def test_the_story_speaks_of_the_intervention_only_when_one_is_on():
    on = GE.compute(dataclasses.replace(GE.DEFAULTS, clamp_r="0"))
    assert GE.story(on).startswith("With the intervention") and GE.story(GE.compute(GE.DEFAULTS)).startswith("The GRU")
    assert GE.story(GE.compute(dataclasses.replace(GE.DEFAULTS, signal="sine"))) is None
