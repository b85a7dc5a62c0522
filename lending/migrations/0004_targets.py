# Generated for issue 5 (targets)

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lending", "0003_officer_list_indexes"),
        ("xinyidai", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Target",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "metric",
                    models.CharField(
                        choices=[
                            ("balance", "Loan balance (yuan)"),
                            ("credit_loan_balance", "Credit-loan balance (yuan)"),
                            ("granted_amount", "Credit granted (yuan)"),
                            ("disbursed_amount", "Amount disbursed (yuan)"),
                            ("new_first_loan_customers", "New first-loan customers (enterprises)"),
                            ("registered_enterprises", "Registered enterprises"),
                        ],
                        max_length=32,
                        verbose_name="metric",
                    ),
                ),
                ("value", models.DecimalField(decimal_places=2, max_digits=18, verbose_name="target value")),
                ("deadline", models.DateField(verbose_name="deadline")),
                ("note", models.CharField(blank=True, max_length=300, verbose_name="note")),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at"),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty for targets seeded from the provincial plan.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
                (
                    "region",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="xinyidai.region",
                        verbose_name="region",
                    ),
                ),
            ],
            options={
                "verbose_name": "target",
                "verbose_name_plural": "targets",
                "ordering": ["deadline", "metric", "id"],
                "indexes": [models.Index(fields=["region", "deadline"], name="target_region_deadline")],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("value__gt", 0)), name="target_value_positive")
                ],
            },
        ),
    ]
