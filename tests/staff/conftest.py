"""The live-server fixture (real uvicorn processes) for the browser test in this folder."""

from tests.e2e.conftest import live_server  # noqa: F401 - re-exported fixture
