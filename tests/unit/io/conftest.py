"""The fixture run shared by the output tests (see ``result_fixture.py``)."""

from __future__ import annotations

import pytest

from tests.unit.io.result_fixture import build_result


@pytest.fixture(scope="session")
def result():
    return build_result()
