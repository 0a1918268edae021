"""GRU Lab entry point: `streamlit run app.py`. Routes between the pages; each page's URL is its file stem."""
import streamlit as st
import torch

import lab  # noqa: F401  (registers the lab's Plotly template before any page builds a figure)
from lab import background, present, share, ui
from lab.controls import flush_url_fixes
from lab.models.compare import start_warm_up

# One server process serves every browser session (each session is a thread of this process), and the machine
# has few cores. PyTorch's default of one intra-op thread per core would let 30 students' training steps
# oversubscribe the CPU and make every session slower; one thread per call keeps sessions from fighting.
# app.py runs on every rerun, so only set it when it is not already 1.
if torch.get_num_threads() != 1:
    torch.set_num_threads(1)

# The tab's icon is an emoji: Streamlit draws it in the page itself, where a ":material/..." icon is fetched from
# Google's font server on every script run (a class's school network, or none, need not reach it).
st.set_page_config(page_title="GRU Lab", page_icon="🔁", layout="wide",
                   initial_sidebar_state=present.sidebar_state())
lab.theme.page_style()   # projector-sized text on wide screens; on phones no Plotly toolbar over the legend
present.apply()   # ?present=1: projector layout (lab.present); ?section=NAME: open at that section

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/vanishing.py", title="Vanishing gradients", icon=":material/trending_down:"),
    st.Page("pages/step_through.py", title="Step through a GRU", icon=":material/footprint:"),
    st.Page("pages/gate_explorer.py", title="Gate explorer", icon=":material/tune:"),
    st.Page("pages/train.py", title="Train on a task", icon=":material/model_training:"),
    st.Page("pages/compare.py", title="GRU vs LSTM vs variants", icon=":material/compare_arrows:"),
    st.Page("pages/forecast.py", title="Forecast a time series", icon=":material/show_chart:"),
    st.Page("pages/text.py", title="Model real text", icon=":material/text_fields:"),
    st.Page("pages/translate.py", title="Translate", icon=":material/translate:"),
    st.Page("pages/lesson.py", title="Lesson", icon=":material/school:"),
]

start_warm_up()   # the trainable layers' compiled loops, loaded once per process in a thread (off every page)
page = st.navigation(PAGES)
share.toolbar(page.url_path or "home")   # "Share with the class" and the lesson step about this page
page.run()
background.watch_all()   # runs this session follows on other pages keep training while it is here
st.sidebar.toggle("Hide answers until I reveal them", key=ui.HIDE_ANSWERS,
                  help="Predict first: the callouts that answer a page's question wait for a Reveal button.")

# Keep the garbage collector off the start-up heap (torch alone is ~1M objects): see lab.freeze_long_lived_objects.
lab.freeze_long_lived_objects()

# A bad link parameter was replaced by its nearest valid value on this run: rerun once so the value is also
# written back into the address bar (see lab.controls).
flush_url_fixes()
