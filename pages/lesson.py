"""The guided lesson: from "an RNN forgets" to what a gated cell does about it, one step per screen.

Each step: a few sentences, at most one control, one live chart from the engine, a prediction with choices (counted
for the class), then the answer revealed and explained with the chart's own numbers. Step in the URL (lesson_step).
"""
import streamlit as st

from lab import background as bg
from lab import controls as C
from lab import present, routing, ui, votes
from lab.figures.common import sci
from lab.figures.lesson import lesson_figure
from lab.models import lesson as L

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py
L.prepare_training()      # a spare training process (torch imported) waits for the class's Train press

N = len(L.STEPS)


def go_to(number: int) -> None:
    st.session_state["lesson_step"] = min(max(number, 1), N)


def navigation() -> int:
    """Back / Next and the step slider (the step is in the URL); returns the step number."""
    back, nxt, where = st.columns([1.3, 1.3, 5], vertical_alignment="bottom")
    with present.controls(where, label="Go to a step"):
        number = int(C.slider("Lesson step", "lesson_step", 1, N, 1, help="Jump to a step of the lesson."))
    back.button("Back", key="lesson_back", icon=":material/arrow_back:", disabled=number <= 1,
                on_click=go_to, args=(number - 1,), width="stretch")
    nxt.button("Next", key="lesson_next", icon=":material/arrow_forward:", disabled=number >= N,
               on_click=go_to, args=(number + 1,), width="stretch", type="primary")
    return number


def knob_value(step: L.Step) -> float | None:
    """The step's one control, bound to the URL (lesson_<name>)."""
    k = step.knob
    if k is None:
        return None
    if k.toggle:
        return float(C.toggle(k.label, k.key, bool(k.default), help=k.help or None, container=present.controls()))
    return C.slider(k.label, k.key, k.lo, k.hi, k.default, k.step, help=k.help or None, container=present.controls())


@st.fragment(run_every=3 if present.presenting() else None)
def class_answers(step: L.Step) -> None:
    """Presenter's view: the class's predictions so far (refreshed every few seconds), and a reset."""
    counts = votes.CLASS.counts(("lesson", step.slug))
    total = sum(counts.values())
    st.markdown(f"**The class's predictions** ({total} so far)")
    for key, label in step.choices.items():
        n = counts.get(key, 0)
        st.progress(n / total if total else 0.0, text=f"{label}: **{n}**")
    present.controls(label="Reset the count").button("Start this question afresh", key=f"lesson_reset_{step.slug}",
                              icon=":material/restart_alt:",
              on_click=votes.CLASS.reset, args=(("lesson", step.slug),))


def answer_words(step: L.Step, result: L.Result, guess: str | None) -> str:
    verdict = "" if guess is None else ("**Right.** " if guess == result.correct else "**Not quite.** ")
    return f"{verdict}The answer: **{step.choices[result.correct]}**. {result.words}"


def goal_check(result: L.Result) -> None:
    kept = sci(result.numbers["now"])
    if result.goal_met:
        st.success(f"Goal reached: with this bias the GRU keeps **{kept}** of its gradient over {L.GOAL_T - 1} steps.",
                   icon=":material/emoji_events:")
    else:
        st.warning(f"Not yet: the GRU keeps **{kept}** of its gradient over {L.GOAL_T - 1} steps; the goal is "
                   f"{L.GOAL_SHARE:g}.", icon=":material/flag:")


RUN = "_lesson_run"   # session_state: the class's training run this session follows


def press_train() -> None:
    st.session_state[RUN] = L.start_training(bg.session_id())


def training_status() -> L.TrainView | None:
    """The Train button and the class's run status; the run's view once it started (None before)."""
    run = st.session_state.get(RUN)
    if run is None:
        present.controls().button("Train (the whole class shares one run)", key="lesson_train", type="primary",
                  icon=":material/play_arrow:", on_click=press_train)
        return None
    bg.RUNS.touch(run, bg.session_id())
    if run.state == "queued":
        st.info(f"Waiting for a free training slot: position {run.queue_position} in the queue.", icon=":material/hourglass_top:")
        return None
    if run.error:
        st.error(f"Training stopped: {run.note}")
    view = run.view()
    watching = f", {run.watchers()} watching" if run.state == "running" else ""
    st.progress(run.progress(), text=f"{run.state}: {run.seconds:.0f} s{watching}")
    return view


def result_of(step: L.Step, number: int, value: float | None) -> L.Result:
    if not step.training:
        return L.compute(L.Settings(number, value))
    view = training_status()
    return L.trained(view) if step.slug == "train" else L.learned(view)


LIVE = bg.running(RUN)   # as of this full run: the step refreshes itself only while a run it follows goes on


@st.fragment(run_every=1.5 if LIVE else None)
def show_step(number: int) -> None:
    step = L.step_of(number)
    st.subheader(f"Step {number} of {N}: {step.title}", anchor=step.slug)
    text_col, chart_col = st.columns([2, 3], gap="large")
    with text_col:
        st.markdown(step.text)
        value = knob_value(step)
        result = result_of(step, number, value)
        guess = ui.predict(step.question, step.choices, key=f"lesson_guess_{step.slug}")
        if guess is not None:
            votes.CLASS.vote(("lesson", step.slug), bg.session_id(), guess)
        if present.presenting():
            class_answers(step)
        if step.goal:
            goal_check(result)
        if result.correct:
            ui.reveal(answer_words(step, result, guess), key=f"lesson_answer_{step.slug}", hidden=True,
                      ready=guess is not None or present.presenting())
        elif step.training:
            st.caption("The answer comes from the trained models: train first, then reveal it.")
        st.page_link(f"pages/{step.page}.py", label="Explore this on its own page", icon=":material/open_in_new:")
    with chart_col:
        ui.chart(lesson_figure(result, chance=1 / L.TRAIN.n_symbols), key=f"lesson_chart_{step.slug}",
                 how_to_read=step.how_to_read)
    if bg.running(RUN) != LIVE:
        st.rerun()     # Train pressed (in this fragment) or the run just ended: one full rerun turns the refresh on/off


st.caption("Lesson: why a GRU can learn from far back when a plain RNN cannot. Predict first, then check.")
show_step(navigation())
