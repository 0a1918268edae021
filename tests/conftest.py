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
