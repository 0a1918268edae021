"""`python -m gru_core export`: record a run and write the weights (PyTorch names) and every recorded array to .npz.

File format (numpy .npz, load with np.load(path)):
  weight_ih, weight_hh, bias_ih, bias_hh   the cell's parameters, PyTorch names and gate order
  x (T, B, I), h0 (B, H), h (T, B, H)      input, initial and hidden states h_1..h_T
  gate_<name> (T, B, H)                    every gate (GRU r, z, n; LSTM i, f, g, o, c; MGU f, n)
  grad_h (T, B, H), loss (B,)              total dL/dh_t and the loss
  jacobian_norm (T, B)                     ||dh_T/dh_t||_2 (with --jacobians, the default)
  nonfinite_from (B,)                      first non-finite step, -1 if none
  meta                                     a JSON string: kind, options, every command-line setting, gru_core version
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from .cell import CELL_KINDS, INITS, make_cell
from .record import LOSSES, record
from .signals import SIGNALS, signal

FORMAT_VERSION = 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gru_core export", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cell", choices=CELL_KINDS, default="gru")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--input-size", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--init", choices=INITS, default="pytorch")
    p.add_argument("--scale", type=float, default=None, help="largest singular value of each recurrent block")
    p.add_argument("--update-bias", type=float, default=0.0, help="keep-gate bias offset (positive = keep memory)")
    p.add_argument("--chrono", type=int, default=None, help="chrono init with this T_max")
    p.add_argument("--nonlinearity", choices=("tanh", "relu"), default="tanh", help="rnn only")
    p.add_argument("--signal", choices=SIGNALS, default="impulse")
    p.add_argument("--loss", choices=LOSSES, default="last")
    p.add_argument("--no-jacobians", action="store_true", help="skip ||dh_T/dh_t|| (faster for large H)")
    p.add_argument("--out", required=True, help="output .npz path")
    return p


def export(args: argparse.Namespace) -> dict:
    cell = make_cell(args.cell, args.input_size, args.hidden, seed=args.seed, init=args.init, scale=args.scale,
                     update_bias=args.update_bias, chrono=args.chrono, nonlinearity=args.nonlinearity)
    x = signal(args.signal, args.steps, args.input_size, seed=args.seed)
    tr = record(cell, x, loss=args.loss)
    arrays = dict(cell.params, x=tr.x, h0=tr.h0, h=tr.h, grad_h=tr.grad_h, loss=tr.loss,
                  nonfinite_from=tr.nonfinite_from)
    arrays.update({f"gate_{g}": v for g, v in tr.gates.items()})
    if not args.no_jacobians:
        arrays["jacobian_norm"] = tr.jacobian_norm
    meta = dict(format_version=FORMAT_VERSION, kind=cell.kind, options=cell.options,
                settings={k: v for k, v in vars(args).items() if k != "out"})
    np.savez_compressed(args.out, meta=np.array(json.dumps(meta)), **arrays)
    return dict(out=args.out, arrays={k: list(v.shape) for k, v in arrays.items()})


def cli_main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        summary = export(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(summary))
    return 0
