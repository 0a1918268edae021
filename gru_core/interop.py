"""Weights in and out of PyTorch: nn.RNN / nn.GRU / nn.LSTM (one layer, one direction) and the *Cell modules."""
from __future__ import annotations

import numpy as np

from . import validate as V
from .cell import PARAM_NAMES, Cell


def _torch():
    import torch
    return torch


def from_torch(module) -> Cell:
    """A Cell holding a copy of the module's weights, float64 (nn.RNN / GRU / LSTM, their *Cell, or gru_core.layer)."""
    from .layers import Layer
    if isinstance(module, Layer):                 # gru_core.layer: any kind, its own cell
        return module.to_cell()
    nn = _torch().nn
    kinds = {nn.RNN: "rnn", nn.GRU: "gru", nn.LSTM: "lstm", nn.RNNCell: "rnn", nn.GRUCell: "gru", nn.LSTMCell: "lstm"}
    kind = next((k for cls, k in kinds.items() if type(module) is cls), None)
    if kind is None:
        raise V.bad("module", type(module).__name__, "nn.RNN, nn.GRU, nn.LSTM, nn.RNNCell, nn.GRUCell or nn.LSTMCell")
    is_layer = isinstance(module, (nn.RNN, nn.GRU, nn.LSTM))
    if is_layer:
        if module.num_layers != 1:
            raise V.bad("module.num_layers", module.num_layers, "1")
        if module.bidirectional:
            raise V.bad("module.bidirectional", True, "False")
        if getattr(module, "proj_size", 0):
            raise V.bad("module.proj_size", module.proj_size, "0")
    suffix = "_l0" if is_layer else ""
    H = module.hidden_size
    G = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    params = {}
    for name in PARAM_NAMES:
        t = getattr(module, name + suffix, None)
        params[name] = (np.zeros(G * H) if t is None else t.detach().cpu().double().numpy().copy())
    options = {}
    if kind == "rnn":
        options["nonlinearity"] = module.nonlinearity
    if kind == "gru":
        options.update(mix="torch", reset="after")
    return Cell(kind, module.input_size, H, params, options)


def to_torch(cell: Cell, cell_module: bool = False):
    """The matching torch module, float64, holding the cell's weights (a single cell, PyTorch conventions only)."""
    torch = _torch()
    nn = torch.nn
    if cell.batch is not None:
        raise V.bad("cell", "a stack of cells", "a single cell (use cell.select(b))")
    if cell.spec.torch_name is None:
        raise V.bad("cell.kind", cell.kind, "'rnn', 'gru' or 'lstm' (PyTorch has no module for the variants)")
    if cell.kind == "gru" and (cell.options.get("mix"), cell.options.get("reset")) != ("torch", "after"):
        raise V.bad("cell.options", cell.options, "mix='torch', reset='after' (PyTorch's GRU)")
    kw = dict(input_size=cell.input_size, hidden_size=cell.hidden_size, dtype=torch.float64)
    if cell.kind == "rnn":
        kw["nonlinearity"] = cell.options.get("nonlinearity", "tanh")
    cls = getattr(nn, cell.spec.torch_name + ("Cell" if cell_module else ""))
    module = cls(**kw)
    suffix = "" if cell_module else "_l0"
    with torch.no_grad():
        for name in PARAM_NAMES:
            getattr(module, name + suffix).copy_(torch.from_numpy(np.asarray(cell.params[name], dtype=np.float64)))
    return module
