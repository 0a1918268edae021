"""gru_core.CellSpec: the one spec -> cell adapter."""
import dataclasses

import numpy as np
import pytest

import gru_core
from gru_core import CellSpec


@pytest.mark.parametrize("kind", gru_core.CELL_KINDS)
def test_spec_makes_the_same_cell_as_make_cell(kind):
    spec = CellSpec(kind, input_size=2, hidden_size=5, seed=3, init="orthogonal", scale=1.3)
    ref = gru_core.make_cell(kind, 2, 5, seed=3, init="orthogonal", scale=1.3)
    cell = spec.make()
    assert (cell.kind, cell.options) == (ref.kind, ref.options)
    for name, value in ref.params.items():
        np.testing.assert_array_equal(cell.params[name], value)


def test_spec_passes_the_keep_gate_options_to_a_gru():
    spec = CellSpec("gru", hidden_size=4, update_bias=2.0, chrono=20, mix="wiki", reset="before")
    ref = gru_core.make_cell("gru", 1, 4, update_bias=2.0, chrono=20, mix="wiki", reset="before")
    np.testing.assert_array_equal(spec.make().params["bias_ih"], ref.params["bias_ih"])
    assert spec.make().options == ref.options


def test_options_a_kind_lacks_are_neutral_so_equal_cells_have_equal_specs():
    rnn = CellSpec("rnn", hidden_size=4, update_bias=2.0, chrono=50, mix="wiki", reset="before")
    assert rnn == CellSpec("rnn", hidden_size=4)
    assert hash(rnn) == hash(CellSpec("rnn", hidden_size=4))
    lstm = dataclasses.replace(CellSpec("gru", update_bias=1.0, nonlinearity="relu", mix="wiki"), kind="lstm")
    assert (lstm.update_bias, lstm.nonlinearity, lstm.mix) == (1.0, "tanh", None)
    lstm.make()


def test_bad_values_raise_the_engines_value_error():
    with pytest.raises(ValueError, match="kind"):
        CellSpec("transformer").make()
    with pytest.raises(ValueError, match="hidden_size"):
        CellSpec("gru", hidden_size=0).make()


def test_lab_cache_cellspec_is_the_engine_spec():
    from lab.cache import CellSpec as LabSpec
    assert LabSpec is CellSpec
