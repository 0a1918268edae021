"""Cell kinds. Importing this package registers every kind; a new kind is one small file plus one import here."""
from .base import REGISTRY, CellKind, register
from . import rnn, gru, gru_type1, gru_type2, gru_type3, lstm, mgu  # noqa: F401  (each registers itself)

__all__ = ["REGISTRY", "CellKind", "register"]
