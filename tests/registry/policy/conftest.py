import pytest

from registry.policy import PolicyPack, load_builtin_pack


@pytest.fixture(scope="session")
def litchfield() -> PolicyPack:
    return load_builtin_pack("litchfield-4118.51")


@pytest.fixture(scope="session")
def danbury() -> PolicyPack:
    return load_builtin_pack("danbury-4-303")
