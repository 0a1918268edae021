"""Shared pytest setup: the repo root is importable (gru_core, lab, scripts) from every test folder."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def engine():
    """The engine module (``gru_core``)."""
    import gru_core

    return gru_core


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


def pytest_configure(config):
    """The classroom server config (.streamlit/config.toml) hides error details from students; tests (AppTest)
    need them to say what failed."""
    from streamlit import config as st_config

    st_config.get_option("client.showErrorDetails")      # parse the config file first, then override it
    st_config.set_option("client.showErrorDetails", "full")


@pytest.fixture(autouse=True, scope="module")
def torch_default_dtype(request):
    """Every test module starts at torch's own default dtype (float32), or float64 where its module says
    `TORCH_FLOAT64 = True` (the autograd oracles). A module that set the default at import used to leak float64 into
    every other module's tests, so models built in one test file differed from the same code run alone."""
    import torch

    torch.set_default_dtype(torch.float64 if getattr(request.module, "TORCH_FLOAT64", False) else torch.float32)
    yield
