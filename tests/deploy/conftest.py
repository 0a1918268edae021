"""The deploy tests reuse the e2e fixtures (Debian's Chromium through pytest-playwright)."""
from tests.e2e.conftest import browser_type_launch_args  # noqa: F401
