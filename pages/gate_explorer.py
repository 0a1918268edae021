"""Gate explorer page: move the gate parameters and watch r, z and h (work in progress)."""
import streamlit as st

st.title("Gate explorer")
st.info("This page is being built: sliders for the gate parameters, gate heatmaps, interventions and the cobweb plot.")
