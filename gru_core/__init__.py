"""gru_core: recurrent cells (RNN, GRU and its variants, LSTM) that record every gate, hidden state, per-step
gradient and Jacobian exactly, in numpy (float64). No Streamlit here; the API is documented in the README ("The engine").

    import gru_core
    cell = gru_core.make_cell("gru", input_size=1, hidden_size=32, seed=0)
    trace = gru_core.record(cell, gru_core.signal("impulse", 100), loss="last")
    trace.h, trace.gates["z"], trace.grad_h, trace.jacobian_norm
"""
from . import analysis
from .cell import CELL_KINDS, INITS, Cell, make_cell, stack_cells
from .interop import from_torch, to_torch
from .linalg import vector_norm
from .record import LOSSES, Trace, record, step, step_source
from .signals import SIGNALS, signal
from .spec import CellSpec

_LAYERS = ("Layer", "layer", "multiply_adds", "parameter_count")


def __getattr__(name: str):
    """gru_core.layer, Layer, parameter_count, multiply_adds (gru_core/layers.py), imported on first use: they need
    torch and numba, the rest of the engine does not."""
    if name in _LAYERS:
        from . import layers
        return getattr(layers, name)
    raise AttributeError(f"module 'gru_core' has no attribute {name!r}")


__all__ = [*_LAYERS, "analysis", "CELL_KINDS", "INITS", "LOSSES", "SIGNALS", "Cell", "CellSpec", "Trace", "from_torch", "make_cell", "record",
           "signal", "stack_cells", "step", "step_source", "to_torch", "vector_norm"]
