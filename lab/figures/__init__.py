"""Pure figure builders: data (numpy arrays) in, ``plotly.graph_objects.Figure`` out. No Streamlit here.

``common`` holds the shared helpers (base figure, honest log axes, heatmaps); one module per page topic.
"""
import lab.theme  # noqa: F401  (registers the lab's Plotly template)
