"""Home: what the lab teaches, one live chart (RNN vs GRU gradient over distance), links to every page."""
import streamlit as st

from lab import controls as C
from lab import routing, ui
from lab.cache import CellSpec, SignalSpec, cached_record
from lab.figures.common import sci
from lab.figures.home import gradient_over_distance, gradient_share

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py

T, H = 100, 32  # sequence length and hidden size of the home chart

ui.page_header(
    "GRU Lab",
    "Why does a **GRU** learn from things that happened 100 steps ago when a plain **RNN** cannot? "
    "Every chart in this lab is computed live and exactly from a real model: move a control and the numbers change. "
    "You will see the RNN's gradient die off exponentially, see that a GRU at PyTorch's default setting dies too, "
    "and see what saves it: an **update gate held near 'keep'**, which gives the gradient a direct path back in time.",
)

col_slider, col_note = st.columns([2, 3], gap="large", vertical_alignment="bottom")
with col_slider:
    bias = C.slider(
        "GRU update-gate bias", "home_bias", -2.0, 6.0, 3.0, 0.5, format="%.1f",
        help="Added to the GRU's update gate: positive keeps more of the old state each step (0 = PyTorch default).",
    )
with col_note:
    st.markdown(
        f"Both cells: hidden size {H}, PyTorch default weights (seed 0), {T} steps of noise input, "
        "loss on the last step. Only the GRU's update-gate bias changes."
    )

rnn = cached_record(CellSpec("rnn", hidden_size=H), SignalSpec("noise", T))
gru = cached_record(CellSpec("gru", hidden_size=H, update_bias=float(bias)), SignalSpec("noise", T))
shares = {"rnn": gradient_share(rnn.grad_norm[:, 0]), "gru": gradient_share(gru.grad_norm[:, 0])}

ui.chart(
    gradient_over_distance(shares, title="How much gradient reaches k steps back"),
    key="home_chart",
    predict="Set the bias to 0 (PyTorch's default). Will the GRU's line stay up or fall like the RNN's?",
    how_to_read="Each line is the size of the gradient at k steps before the loss, as a share of its size at "
                "the loss (k = 0); the y-axis is logarithmic, so a straight falling line is exponential decay.",
)
ui.nonfinite_note({"RNN": rnn.nonfinite_from[0], "GRU": gru.nonfinite_from[0]})
ui.headline(f"{T - 1} steps back the RNN keeps **{sci(shares['rnn'][0])}** of its gradient; "
            f"the GRU (update-gate bias {bias:g}) keeps **{sci(shares['gru'][0])}**.")

st.subheader("Explore")
links = [
    ("pages/vanishing.py", "Vanishing gradients", ":material/trending_down:",
     "RNN vs GRU vs LSTM side by side: gradient over distance, the update gate, the phase diagram, clipping."),
    ("pages/step_through.py", "Step through a GRU", ":material/footprint:",
     "One time step at a time: every gate, every number, and the code that computes it."),
    ("pages/gate_explorer.py", "Gate explorer", ":material/tune:",
     "Hold the reset or update gate fixed and see what the GRU can and cannot remember."),
    ("pages/train.py", "Train on a task", ":material/model_training:",
     "Train an RNN and a GRU on a memory task and watch which one learns the long dependency."),
]
for row in range(0, len(links), 2):  # 2 x 2 cards: titles stay on one line at 1280 px
    cols = st.columns(2)
    for col, (path, title, icon, text) in zip(cols, links[row:row + 2]):
        with col.container(border=True, height="stretch"):
            st.page_link(path, label=f"**{title}**", icon=icon)
            st.markdown(text)
