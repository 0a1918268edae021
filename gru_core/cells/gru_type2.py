"""GRU type 2 (reference, Wikipedia "Gated recurrent unit"): the gates see only h_prev (no bias).

    z_t = sigmoid(U_z h_{t-1});  r_t = sigmoid(U_r h_{t-1})
    n_t = tanh(W_n x_t + U_n (r_t * h_{t-1}) + b_n);  h_t = (1 - z_t) h_{t-1} + z_t n_t
"""
from .gru import gru_kind
from .base import register

GRU_TYPE2 = register(gru_kind(
    "gru_type2", "GRU type 2 (gates: h only)", "h", mix="wiki", reset="before",
    equations=r"""z_t = \sigma(U_z h_{t-1}) \\ r_t = \sigma(U_r h_{t-1}) \\
\tilde h_t = \tanh(W_h x_t + U_h (r_t \odot h_{t-1}) + b_h) \\ h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t""",
))
