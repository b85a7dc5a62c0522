"""Seed the provincial plan's target as data (DOMAIN.md §4): platform loan balance of 2 trillion yuan
(2万亿元) by 2025-12-31 for Henan (410000).

Regions are loaded by `load_reference_data` after migrating, so on a fresh database the province row may not
exist yet: it is created here by its code, and the loader later matches it by code and fills in the rest.
"""

import datetime
from decimal import Decimal

from django.db import migrations

PROVINCE = {"code": "410000", "name": "河南省", "level": "province"}
PLAN = {
    "metric": "balance",
    "value": Decimal("2000000000000.00"),
    "deadline": datetime.date(2025, 12, 31),
    "note": "河南省信易贷平台贷款余额 2万亿元 (provincial plan)",
}


def seed(apps, schema_editor):
    Region = apps.get_model("xinyidai", "Region")
    Target = apps.get_model("lending", "Target")
    province, _created = Region.objects.get_or_create(code=PROVINCE["code"], defaults=PROVINCE)
    lookup = {key: PLAN[key] for key in ("metric", "deadline")}
    Target.objects.get_or_create(region=province, **lookup, defaults=PLAN)


def unseed(apps, schema_editor):
    Target = apps.get_model("lending", "Target")
    Target.objects.filter(
        region__code=PROVINCE["code"],
        created_by__isnull=True,
        **{key: PLAN[key] for key in ("metric", "value", "deadline")},
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("lending", "0004_targets"), ("xinyidai", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
