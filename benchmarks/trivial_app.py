"""The reference for latency: the most trivial Streamlit app with one slider and one line chart.

Run alone: `streamlit run benchmarks/trivial_app.py`. benchmarks/bench_latency.py times slider key press -> chart
data updated here and on a lab page, in the same browser and run, and reports the ratio. The chart is Plotly
(the lab's chart library), so the ratio measures the lab's own work, not a difference between chart libraries.
"""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

n = st.slider("Frequency", 1, 50, 10, key="freq")
t = np.linspace(0, 1, 200)
st.plotly_chart(go.Figure(go.Scatter(x=t, y=np.sin(2 * np.pi * n * t), mode="lines", name="sine")),
                key="chart", width="stretch")
