"""Submitting an application runs a fixed number of queries (the enterprise's region and industry chains are
joined, not walked one parent at a time)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lending.services.applications import application_submit
from tests.factories import ProductFactory, SmeUserFactory
from xinyidai.services.audit import audit_queries

pytestmark = pytest.mark.django_db

# Savepoint; membership with the enterprise's region and industry chains; product with institution; its
# regions, industries, tags; the enterprise's tags; savepoint, membership check, authorization insert,
# release; application insert, number update; event insert; the receiving institution's officers and the
# notification insert (xinyidai.notifications: they are told of the new application); release. Explain any new
# query here. +2 audit events (the authorization granted, the submission): lock (PostgreSQL), head read, insert.
EXPECTED = 17 + 2 * audit_queries()


def test_submission_query_count_is_fixed():
    sme = SmeUserFactory()
    product = ProductFactory()
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            application_submit(
                user=sme, product_id=product.pk, amount=Decimal("500000"), term_months=12, purpose="备货", consent=True
            )
        counts.append(len(ctx.captured_queries))
    listing = "\n".join(q["sql"][:120] for q in ctx.captured_queries)
    assert counts == [EXPECTED, EXPECTED], f"application_submit now runs {counts} queries:\n{listing}"
