"""The step player of the step-through page: the time-step slider with Back / Play / Next (key "st_t").

Session state: "st_t" the step (1-based), "_st_playing" whether the timer runs, "_st_last_tick" its last tick,
"_st_next_t" a step chosen by the timer (taken at the next run by ``keep_in_range``). The page owns the timer
fragment itself (its ``run_every`` is decided when the page script runs)."""
from __future__ import annotations

import time

import streamlit as st

from lab import controls as C
from lab import present
from lab.models.step_through import DEFAULT_STEP, PLAY_INTERVAL_S


def keep_in_range(T: int) -> None:
    """Clamp the step when T shrank, and take a step chosen by the play timer."""
    ss = st.session_state
    if "_st_next_t" in ss:
        ss["st_t"] = ss.pop("_st_next_t")
    if ss.get("st_t", min(DEFAULT_STEP, T)) > T:
        ss["st_t"] = T


def _move(delta: int, T: int) -> None:
    st.session_state["st_t"] = int(min(max(st.session_state.get("st_t", min(DEFAULT_STEP, T)) + delta, 1), T))
    st.session_state["_st_playing"] = False


def _toggle_play(T: int) -> None:
    ss = st.session_state
    playing = not ss.get("_st_playing", False)
    if playing and ss.get("st_t", min(DEFAULT_STEP, T)) >= T:
        ss["st_t"] = 1                                      # play again from the start
    ss["_st_playing"], ss["_st_last_tick"], ss["_st_play_toggled"] = playing, time.monotonic(), True


def nav(T: int) -> int:
    """Time-step slider and Back / Play / Next. Returns t (1-based)."""
    n1, n3 = present.controls().columns([2, 2], gap="medium", vertical_alignment="bottom")
    t = C.slider("Time step t", "st_t", 1, max(T, 2), min(DEFAULT_STEP, T), container=n1,
                 help="h_t is the state after reading x_t.", disabled=T < 2)
    playing, (b1, b2, b3) = st.session_state.get("_st_playing", False), n3.columns(3)
    b1.button("Back", key="st_prev", icon=":material/skip_previous:", on_click=_move, args=(-1, T),
              disabled=t <= 1, width="stretch", help="One step back")
    b2.button("Pause" if playing else "Play", key="st_play", width="stretch", on_click=_toggle_play, args=(T,),
              icon=":material/pause:" if playing else ":material/play_arrow:",
              help=f"Advance one step every {PLAY_INTERVAL_S:g} s until the last step")
    b3.button("Next", key="st_next", icon=":material/skip_next:", on_click=_move, args=(1, T),
              disabled=t >= T, width="stretch", help="One step forward")
    if st.session_state.pop("_st_play_toggled", False):
        st.rerun(scope="app")                               # the timer starts or stops on a full run
    return min(int(t), T)
