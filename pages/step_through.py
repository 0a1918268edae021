"""Step-through page: one GRU step with the engine's live numbers (work in progress)."""
import streamlit as st

st.title("Step through a GRU")
st.info("This page is being built: it will show the four GRU equations with the engine's numbers at each step.")
