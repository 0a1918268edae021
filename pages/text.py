"""Text: a character-level language model (RNN, GRU, LSTM) against exact n-grams; generation; gates on text."""
import streamlit as st

from gru_core import text as T
from lab import background as bg
from lab import controls as C
from lab import present, routing, ui
from lab.figures import text as F
from lab.models import text as M

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py

ui.page_header(
    "Model real text",
    "A recurrent network reads text one character at a time and predicts the next one. How good is it? We measure "
    "it in **bits per character** on text it never saw, against counting tables (n-grams) built from the same "
    "text, then let it write and look at what its gates do on a passage.",
)
D = M.TextSettings()


def sidebar() -> tuple[str, M.TextSettings, str]:
    """The sidebar's controls: the corpus, the network's settings, the n-gram smoothing."""
    side = C.panel(st.sidebar)
    corpus = C.select("Text to learn from", "tx_corpus", list(M.CORPUS_LABELS), "docs", labels=M.CORPUS_LABELS,
                      container=side)
    settings = M.TextSettings(
        hidden_size=C.slider("Hidden size H", "tx_hidden", *D.HIDDEN[:2], D.hidden_size, D.HIDDEN[2], container=side),
        steps=C.slider("Training steps", "tx_steps", *D.STEPS[:2], D.steps, D.STEPS[2], container=side),
        seed=C.number("Seed", "tx_seed", 0, 9999, D.seed, container=side),
    )
    smooth = C.select("n-gram smoothing", "tx_smooth", list(M.SMOOTHING_LABELS), "kn", labels=M.SMOOTHING_LABELS,
                      container=side, help="Kneser-Ney is the standard; add-one is the simplest.")
    side.caption("Defaults: the models are pretrained with exactly these settings, so the page shows them at once.")
    return corpus, settings, smooth


def own_text() -> str | None:
    """The pasted or uploaded text once used (else None, with a note), and the box to give it."""
    with st.expander("Your text", expanded=M.OWN_TEXT not in st.session_state and not present.presenting(),
                     icon=":material/upload_file:"):
        st.text_area("Paste plain text", key="tx_paste", height=150,
                     help=f"{T.MIN_CHARS:,} characters to 1 MB; the last tenth is held out.")
        st.file_uploader("or upload a UTF-8 .txt file (up to 1 MB)", type=["txt", "md", "py", "csv"], key="tx_upload")
        st.button("Use this text", key="tx_use", icon=":material/check:", on_click=M.use_own,
                  args=(st.session_state, "tx_paste", "tx_upload"))
        if st.session_state.get(M.OWN_ERROR):
            st.error(st.session_state[M.OWN_ERROR], icon=":material/error:")
    if (text := st.session_state.get(M.OWN_TEXT)) is None:
        st.info("Paste or upload a text and press **Use this text**; until then the page uses Python's "
                "documentation.", icon=":material/info:")
    return text


def results(view: str, run, base: M.Baselines, session: str) -> None:
    """The scores (view "score") or the training curves ("curves"), redrawn every 2 s while the run trains."""
    if run is None:
        st.info("These settings have not been trained yet: press **Train** (about a minute at the defaults).",
                icon=":material/info:")
        models = None
    else:
        bg.RUNS.touch(run, session)
        models = run.view()
        st.caption(M.status_words(run, models))
        if run.state != "finished":
            st.progress(run.progress())
    if view == "score":
        scores_view(models, base)
    elif models is not None:
        ui.chart(F.bpc_curves(models.curve_step, models.curve_bpc, base.trigram), key="tx_curves",
                 how_to_read="Held-out bits per character (first 4,000 held-out characters) as training goes on; "
                             "the dashed line is the trigram, the best counting table.")
    if run is not None and run.state == "finished" and st.session_state.get("_tx_live_seen") != run.key:
        st.session_state["_tx_live_seen"] = run.key
        if models.source == "live":
            st.rerun()


def scores_view(models, base: M.Baselines) -> None:
    guess = ui.predict("The trigram predicts each character from the two before it. Will the GRU, which can carry "
                       "information over many characters, need fewer bits per character?",
                       {"gru": "Yes, clearly fewer", "tie": "About the same", "tri": "No, the trigram wins"},
                       key="tx_guess", horizontal=True)
    scores = M.scores(models, base) if models else M.Scores(tuple(f"{n}-gram" for n in base.orders), base.bpc)
    ui.chart(F.bpc_bars(scores.names, scores.bpc), key="tx_bars",
             how_to_read="Each bar is the average number of bits a model needs to encode one held-out character "
                         "(log₂ of 1/probability it gave the true next character): shorter is better; 1 bit less "
                         "means twice as likely.")
    if models is not None:
        ui.reveal(M.score_words(scores, base), key="tx_answer", ready=guess is not None)


@st.fragment
def generation(models, text: str | None) -> None:
    ready = models.ready
    c1, c2, c3 = present.controls().columns([1, 2, 2])
    kind = C.select("Model", "tx_gen_cell", list(ready), "gru" if "gru" in ready else ready[0],
                    labels=lambda k: k.upper(), container=c1)
    prompt = C.text("Prompt", "tx_prompt", "The ", max_chars=80, container=c2)
    temp = C.slider("Temperature", "tx_temp", 0.1, 2.0, 0.8, 0.1, container=c3,
                    help="Divides the model's scores before the softmax: low = safe, repetitive; high = wild.")
    g = M.generate_text(models.weights[kind], M.corpus_split(text).vocab.chars, prompt, float(temp))
    st.code(g.prompt + g.text, language=None, wrap_lines=True)
    ui.chart(F.next_char_bars(g.top_chars, g.top_probs), key="tx_next",
             predict="Before looking: how sure is the model of the very next character?",
             how_to_read="The 15 most likely characters right after the prompt, with the probability the model "
                         "gives each at this temperature; the text above is sampled from such bars, one at a time.")
    ui.reveal(M.generation_words(g), key="tx_next_answer")


@st.fragment
def gates(models, text: str | None) -> None:
    ready = models.ready
    c1, c2, c3 = present.controls().columns([2, 1, 2])
    which = C.select("Passage", "tx_passage", list(M.PASSAGES), "code", labels=M.PASSAGE_LABELS, container=c1)
    kind = C.select("Model", "tx_gate_cell", list(ready), "gru" if "gru" in ready else ready[0],
                    labels=lambda k: k.upper(), container=c2)
    feature = C.select("Feature to find a unit for", "tx_feature", list(T.FEATURES), "quote",
                       labels=T.FEATURE_LABELS, container=c3)
    passage = M.PASSAGES[which]
    if which == "own":
        passage = C.text("Your passage", "tx_own_passage", "print(\"hi\") (x)", max_chars=M.MAX_PASSAGE,
                         container=present.controls())
    if not passage.strip():
        st.warning("Type a passage to see the gates.", icon=":material/edit:")
        return
    split = M.corpus_split(text)
    g = M.gate_view(models.weights[kind], split.vocab.chars, passage, feature, M.probe_text(split))
    shown, box = C.tabs("tx_gate_view", {"gates": "Gates of the busiest units", "unit": "The unit for the feature"})
    with box:
        gate_charts(g, kind, feature, shown)


def gate_charts(g: M.GateView, kind: str, feature: str, shown: str) -> None:
    """The heatmap of the busiest units ("gates") or the one unit that follows the feature ("unit")."""
    if shown == "gates":
        ui.chart(F.gate_heatmap(g.chars, g.units, g.values, g.signal), key="tx_heat",
                 how_to_read=f"Each row is one unit (the {len(g.units)} that change most here), each column one "
                             f"character of the passage; the colour is the {M.GATE_WORDS[kind]}. A bright column "
                             "means the model holds on to what it read; a dark one means it takes in the new "
                             "character.")
        return
    ui.chart(F.unit_trace(g.chars, g.trace, g.feature_values, unit=g.best_unit,
                          feature_label=T.FEATURE_LABELS[feature]), key="tx_unit",
             predict=f"Is there a single unit that knows when the text is {T.FEATURE_LABELS[feature]}?",
             how_to_read="The line is the state of the one unit that follows the feature best over 3,000 held-out "
                         "characters; the shaded bars are the feature itself (Karpathy et al. 2015 found such "
                         "units for quotes and line length).")
    ui.reveal(M.gate_words(g), key="tx_unit_answer")


VIEWS = {"score": "Does a GRU beat counting?", "curves": "Training curves", "write": "Let it write",
         "gates": "What the gates do"}


@st.fragment(key="tx_body")
def body() -> None:
    """Everything the sidebar drives: a sidebar move reruns this alone (the full run draws the sidebar)."""
    with C.reading("tx_body"):
        corpus, settings, smooth = sidebar()
    text = own_text() if corpus == "own" else None
    info = M.corpus_summary(text)
    st.caption(f"{info.name}: {info.chars:,} characters, {info.vocab} distinct symbols (the rarest share one), "
               f"{info.train:,} to train on, the last {info.test:,} held out.")
    base, session = M.baselines(text, M.SMOOTHING_OPTIONS[smooth]), bg.session_id()
    run = M.shown_run(st.session_state, text, settings)
    live = run is not None and run.state != "finished"
    cols = present.controls().columns([1, 1, 3], vertical_alignment="center")
    cols[0].button("Train", key="tx_train", type="primary", icon=":material/play_arrow:", on_click=M.press_train,
                   args=(st.session_state, text, settings, session), disabled=live)
    if live:
        cols[1].button("Stop", key="tx_stop", icon=":material/stop:", on_click=bg.RUNS.leave, args=(run, session))
    models = run.view() if run is not None else None
    view, box = C.tabs("tx_view", VIEWS)   # only the open tab runs: a move redraws one chart
    with box:
        if view in ("score", "curves"):
            st.fragment(run_every=2.0 if live else None)(results)(view, run, base, session)
        elif models is None or not models.ready:
            st.info("The models for these settings are not trained yet: press **Train** first.",
                    icon=":material/info:")
        elif view == "write":
            generation(models, text)
        else:
            gates(models, text)


with C.driving("tx_body"):                  # a sidebar move reruns body() alone, not the sidebar
    sidebar()
body()
