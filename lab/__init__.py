"""GRU Lab: the Streamlit side (shared theme, controls, cache, page pieces) and pure figure builders.

Importing ``lab`` registers the lab's Plotly template (``lab.theme.TEMPLATE_NAME``) as Plotly's default.
"""
from lab import theme as _theme  # noqa: F401  (registers the template)
