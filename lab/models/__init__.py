"""Page models: one module per topic with its Settings (defaults, limits, presets), cached compute and results."""
