"""GRU type 3 (reference, Wikipedia "Gated recurrent unit"): the gates are only a bias (constant over time).

    z_t = sigmoid(b_z);  r_t = sigmoid(b_r)
    n_t = tanh(W_n x_t + U_n (r_t * h_{t-1}) + b_n);  h_t = (1 - z_t) h_{t-1} + z_t n_t
"""
from .gru import gru_kind
from .base import register

GRU_TYPE3 = register(gru_kind(
    "gru_type3", "GRU type 3 (gates: bias only)", "b", mix="wiki", reset="before",
    equations=r"""z_t = \sigma(b_z) \\ r_t = \sigma(b_r) \\
\tilde h_t = \tanh(W_h x_t + U_h (r_t \odot h_{t-1}) + b_h) \\ h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t""",
))
