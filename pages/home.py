"""Home: what the lab teaches, one live chart (RNN vs GRU gradient over distance), links to every page.

Control -> ``M.Settings`` -> ``M.compute`` (cached) -> ``M.Result`` -> lab.figures.home -> words (``M.headline``).
"""
import streamlit as st

import lab.models.home as M
from lab import controls as C
from lab import present, routing, ui
from lab.figures.home import gradient_over_distance

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py

LINKS = [
    ("pages/lesson.py", "Lesson", ":material/school:",
     "A guided lesson, one screen per step: predict, reveal, and a goal to reach at the end."),
    ("pages/vanishing.py", "Vanishing gradients", ":material/trending_down:",
     "RNN vs GRU vs LSTM side by side: gradient over distance, the update gate, the phase diagram, clipping."),
    ("pages/step_through.py", "Step through a GRU", ":material/footprint:",
     "One time step at a time: every gate, every number, and the code that computes it."),
    ("pages/gate_explorer.py", "Gate explorer", ":material/tune:",
     "Hold the reset or update gate fixed and see what the GRU can and cannot remember."),
    ("pages/train.py", "Train on a task", ":material/model_training:",
     "Train an RNN and a GRU on a memory task and watch which one learns the long dependency."),
    ("pages/forecast.py", "Forecast a time series", ":material/show_chart:",
     "A GRU, an LSTM and an RNN learn to forecast a real series, scored against classical baselines."),
    ("pages/text.py", "Model real text", ":material/text_fields:",
     "A recurrent network predicts text one character at a time, measured in bits per character."),
    ("pages/translate.py", "Translate", ":material/translate:",
     "An encoder GRU reads a number in words, a decoder GRU writes its digits."),
]


def bias_control() -> float:
    """The slider and the note beside it."""
    D, (lo, hi, step) = M.Settings(), M.Settings.LIMITS["bias"]
    col_slider, col_note = present.controls(C.panel(st)).columns([2, 3], gap="large", vertical_alignment="bottom")
    bias = C.slider("GRU update-gate bias", "home_bias", lo, hi, D.bias, step, format="%.1f", container=col_slider,
                    help="Added to the GRU's update gate: positive keeps more of the old state each step "
                         "(0 = PyTorch default).")
    col_note.markdown(f"Both cells: hidden size {M.Settings.HIDDEN}, PyTorch default weights (seed 0), "
                      f"{M.Settings.STEPS} steps of noise input, loss on the last step. Only the GRU's bias changes.")
    return float(bias)


@st.fragment(key="home_live")
def live_chart() -> None:
    """The chart the slider drives: a move reruns only this (the header, the slider and the cards stay)."""
    with C.reading("home_live"):
        bias = bias_control()
    res = M.compute(M.Settings(bias=bias))
    ui.chart(gradient_over_distance(res.shares), key="home_chart", predict=M.question(),
             how_to_read="Each line is the size of the gradient k steps before the loss, as a share of its size at "
                         "the loss (k = 0); the y-axis is logarithmic, so a straight falling line is exponential decay.")
    ui.nonfinite_note({"RNN": res.nonfinite_from["rnn"], "GRU": res.nonfinite_from["gru"]})
    ui.reveal(M.headline(res), key="home_answer")


ui.page_header(
    "GRU Lab",
    "Why does a **GRU** learn from things that happened 100 steps ago when a plain **RNN** cannot? "
    "Every chart in this lab is computed live and exactly from a real model: move a control and the numbers change. "
    "You will see the RNN's gradient die off exponentially, see that a GRU at PyTorch's default setting dies too, "
    "and see what saves it: an **update gate held near 'keep'**, which gives the gradient a direct path back in time.",
)
st.subheader("How much gradient reaches k steps back")
with C.driving("home_live"):
    bias_control()
live_chart()

st.subheader("Explore")
for row in range(0, len(LINKS), 2):  # 2 cards a row: titles stay on one line at 1280 px
    for col, (path, title, icon, text) in zip(st.columns(2), LINKS[row:row + 2]):
        with col.container(border=True, height="stretch"):
            st.page_link(path, label=f"**{title}**", icon=icon)
            st.markdown(text)
