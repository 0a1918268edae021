"""A test-only script using every lab.controls helper (tests/app/test_controls.py drives it with URL params)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st  # noqa: E402

from lab import controls as C  # noqa: E402

out = {
    "len": C.slider("Length", "t_len", 10, 500, 100, step=10),
    "sigma": C.slider("Sigma", "t_sig", 0.1, 3.0, 1.0, step=0.05),
    "cell": C.select("Cell", "t_cell", ["rnn", "gru", "lstm"], "gru", labels={"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}),
    "loss": C.select("Loss", "t_loss", ["last", "all"], "last", style="segmented"),
    "mode": C.select("Mode", "t_mode", ["a", "b"], "a", style="radio"),
    "cells": C.cell_kinds("t"),
    "cellsd": C.multiselect("Cells (dropdown)", "t_cellsd", ["rnn", "gru"], ["rnn"], style="dropdown"),
    "clip": C.toggle("Clip", "t_clip", False),
    "seed": C.seed("t"),
    "name": C.text("Name", "t_name", "run", max_chars=8),
    "signal": C.signal_picker("t"),
    "init": C.init_controls("t"),
    "bias": C.gate_bias_controls("t", chrono_tmax=100),
}
view, box = C.tabs("t_view", {"grad": "Gradient share", "keep": "What the gate keeps"})
out["view"] = view
box.markdown(f"body of {view}")
st.json({k: repr(v) for k, v in out.items()}, expanded=True)
C.flush_url_fixes()
