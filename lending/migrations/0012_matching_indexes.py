# The pool ranked for one product (lending.selectors_matching.demands_for_product) walks the open demands of each
# term outward from the middle of the product's amount range; this partial index serves those walks.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lending", "0011_application_overdue_notified"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="financingdemand",
            index=models.Index(
                condition=models.Q(("status__in", ["open", "claimed"])),
                fields=["term_months", "amount"],
                name="demand_pool_term_amount",
            ),
        ),
    ]
