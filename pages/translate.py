"""Translate: a GRU encoder-decoder turns number words into digits; where it breaks, its summary, its gates."""
import streamlit as st

from lab import background as bg
from lab import controls as C
from lab import present, routing, ui
from lab.figures import text as F
from lab.models import translate as M

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py

ui.page_header(
    "Translate with an encoder and a decoder",
    "Machine translation in miniature: one GRU (the **encoder**) reads *three hundred and twelve* word by word; its "
    "last state, H numbers, is all the second GRU (the **decoder**) gets before it writes *312* digit by digit. "
    "Trained live on generated pairs; see where it breaks, what its summary holds and what its gates do.",
)

side = st.sidebar
D = M.TranslateSettings()
settings = M.TranslateSettings(
    hidden_size=C.slider("Hidden size H", "tl_hidden", *D.HIDDEN[:2], D.hidden_size, D.HIDDEN[2], container=side),
    steps=C.slider("Training steps", "tl_steps", *D.STEPS[:2], D.steps, D.STEPS[2], container=side),
    max_digits=C.slider("Train on numbers up to ... digits", "tl_digits", 1, 6, D.max_digits, container=side,
                        help="The held-out test always has 1 to 6 digits: fewer here means longer test inputs "
                             "than any seen in training."),
    seed=C.number("Seed", "tl_seed", 0, 9999, D.seed, container=side),
)
side.caption("Defaults: the translator is pretrained with exactly these settings, so the page shows it at once.")
session = bg.session_id()
run = M.shown_run(st.session_state, settings)

st.subheader("1 · Where does it break?")
cols = present.controls().columns([1, 1, 3], vertical_alignment="center")
cols[0].button("Train", key="tl_train", type="primary", icon=":material/play_arrow:", on_click=M.press_train,
               args=(st.session_state, settings, session), disabled=run is not None and run.state != "finished")
if run is not None and run.state != "finished":
    cols[1].button("Stop", key="tl_stop", icon=":material/stop:", on_click=bg.RUNS.leave, args=(run, session))


@st.fragment(run_every=2.0 if run is not None and run.state != "finished" else None)
def training() -> None:
    if run is None:
        st.info("These settings have not been trained yet: press **Train** (about half a minute at the defaults).",
                icon=":material/info:")
        return
    bg.RUNS.touch(run, session)
    t = run.view()
    where = "Pretrained with these settings" if t.source == "pretrained" else f"Training ({run.state})"
    st.caption(f"{where}: {t.seconds:.0f} s of training" + (f"; {run.note}." if run.note else "."))
    if run.state != "finished":
        st.progress(run.progress())
    ui.chart(F.accuracy_curve(t.curve_step, t.curve_accuracy), key="tl_curve",
             how_to_read="The share of 300 held-out numbers the model translates exactly (every digit right, "
                         "nothing more) as training goes on.")
    if run.state == "finished" and t.source == "live" and st.session_state.get("_tl_live_seen") != run.key:
        st.session_state["_tl_live_seen"] = run.key
        st.rerun()


training()
model = run.view() if run is not None else None
weights = model.weights if model is not None else None


@st.fragment
def lengths() -> None:
    ui.predict("Will a long number, eleven words like *seven hundred and seventy-seven thousand ...*, come out "
               "as well as a short one?", {"same": "Just as well", "worse": "Worse", "never": "Never right"},
               key="tl_guess")
    r = M.length_accuracy(weights, settings.seed, settings.max_digits)
    ui.chart(F.accuracy_by_length(r.lengths, r.accuracy, r.counts, trained_max=r.trained_words), key="tl_lengths",
             how_to_read="Each bar is the share of 2,000 held-out numbers of that many words translated exactly; "
                         "the dashed line marks the longest input the training pairs could have (none: no "
                         "held-out number has that many words).")
    ui.reveal(M.length_words(r), key="tl_answer")


@st.fragment
def summary() -> None:
    colour = C.select("Colour by", "tl_colour", list(M.COLOUR_BY), "digits", labels=M.COLOUR_LABELS,
                      style="segmented", container=present.controls())
    r = M.sentence_summary(weights, colour, settings.seed)
    ui.chart(F.summary_scatter(r.xy, r.groups, r.hover, M.COLOUR_BY[colour]), key="tl_summary",
             predict="The decoder must write the right number of digits. Will summaries of numbers with the same "
                     "number of digits sit together?",
             how_to_read="Each dot is one sentence's summary (the encoder's final state, H numbers) drawn on the "
                         "two directions along which the summaries differ most; hover for the sentence.")
    ui.reveal(M.summary_words(r, colour), key="tl_summary_answer")


@st.fragment
def steps() -> None:
    number = C.number("A number to translate (0 to 999,999)", "tl_number", 0, 999_999, 312,
                      container=present.controls())
    v = M.step_view(weights, int(number))
    st.markdown(f"The encoder reads: *{' '.join(v.words)}*")
    ui.chart(F.steps_heatmap(v.words, v.enc_units, v.enc_z, "encoder step: the word read"), key="tl_enc",
             how_to_read="The encoder's update gate z for its most active units at each word: bright = keep the "
                         "summary so far, dark = write the new word into it.")
    ui.chart(F.steps_heatmap(v.dec_labels, v.dec_units, v.dec_z, "decoder step: reads → writes"), key="tl_dec",
             how_to_read="The decoder's update gate at each step: it reads the digit it just wrote and writes the "
                         "next; bright units keep what the encoder handed over for later digits.")
    ui.headline(M.step_words(v))


if weights is not None:
    lengths()
    st.subheader("2 · The sentence in H numbers")
    summary()
    st.subheader("3 · Step by step")
    steps()
