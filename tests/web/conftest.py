"""Fixtures for the page tests: a bank branch with an officer, an SME with its enterprise, logged-in clients."""

import pytest

from tests.factories import BranchFactory, EnterpriseFactory, OfficerFactory, SmeUserFactory, StaffFactory
from tests.web.utils import logged_in


@pytest.fixture
def branch(db):
    """A Zhengzhou branch (region 410100) of a provincial head office: it serves the enterprises in 410105."""
    return BranchFactory()


@pytest.fixture
def officer(branch):
    return OfficerFactory(institution=branch)


@pytest.fixture
def enterprise(db):
    return EnterpriseFactory()


@pytest.fixture
def sme(enterprise):
    return SmeUserFactory(enterprise=enterprise)


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def sme_client(sme):
    return logged_in(sme)


@pytest.fixture
def officer_client(officer):
    return logged_in(officer)


@pytest.fixture
def staff_client(staff):
    return logged_in(staff)
