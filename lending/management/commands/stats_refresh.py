"""Refresh the statistics rollups now (what Celery beat does every 5 minutes, or nightly with --full).

manage.py stats_refresh           # incremental: what changed since the last refresh (full if none yet)
manage.py stats_refresh --full    # every rollup from the raw tables (after a bulk load or a data fix)
"""

from django.core.management.base import BaseCommand

from lending.rollups import stats_rebuild, stats_refresh


class Command(BaseCommand):
    help = "Refresh the dashboard's statistics rollups (incremental; --full rebuilds them; SQLite: always full)."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="rebuild every rollup from the raw tables")

    def handle(self, *args, full: bool, **options):
        result = stats_rebuild() if full else stats_refresh()
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.kind} refresh: {result.cells:,} cells, {result.months:,} months, {result.seconds:.2f} s"
            )
        )
