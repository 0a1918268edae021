"""GRU type 1 (reference, Wikipedia "Gated recurrent unit"): the gates see only h_prev and a bias.

    z_t = sigmoid(U_z h_{t-1} + b_z);  r_t = sigmoid(U_r h_{t-1} + b_r)
    n_t = tanh(W_n x_t + U_n (r_t * h_{t-1}) + b_n);  h_t = (1 - z_t) h_{t-1} + z_t n_t
"""
from .gru import gru_kind
from .base import register

GRU_TYPE1 = register(gru_kind(
    "gru_type1", "GRU type 1 (gates: h, bias)", "hb", mix="wiki", reset="before",
    equations=r"""z_t = \sigma(U_z h_{t-1} + b_z) \\ r_t = \sigma(U_r h_{t-1} + b_r) \\
\tilde h_t = \tanh(W_h x_t + U_h (r_t \odot h_{t-1}) + b_h) \\ h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t""",
))
