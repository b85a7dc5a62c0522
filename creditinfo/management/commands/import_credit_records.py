"""manage.py import_credit_records FILE --source CODE: import a departmental file through the import task.

The batch keeps a copy of the file in the media storage (as an uploaded file), so the batch page and its
errors always refer to exactly what was imported. The command runs the same Celery task as the upload page,
but inside its own process (`apply`), so it needs no worker and prints the result when done. Progress goes to
stderr; stdout gets exactly one JSON line: {"created": n, "updated": n, "unchanged": n, "errors": n}.
"""

import json
import logging
import sys

from django.core.management.base import BaseCommand, CommandError

from creditinfo.ingest.readers import FORMATS
from creditinfo.models import DataSource, ImportBatch
from creditinfo.services.imports import import_batch_create
from creditinfo.tasks import credit_records_import


class Command(BaseCommand):
    help = "Import a credit-record file (CSV in UTF-8/UTF-8 BOM/GB18030, or JSON Lines) from one data source."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the CSV or JSON Lines file")
        parser.add_argument("--source", required=True, help="Data source code (see the admin or the README)")
        parser.add_argument("--format", choices=FORMATS, default="", help="Skip format detection")
        parser.add_argument(
            "--no-recompute",
            action="store_true",
            help="Do not re-evaluate the affected enterprises (a bulk load followed by recompute_evaluations)",
        )

    def handle(self, *args, **options):
        codes = list(DataSource.objects.filter(is_active=True).order_by("code").values_list("code", flat=True))
        source = DataSource.objects.filter(code=options["source"], is_active=True).first()
        if source is None:
            raise CommandError(f"Unknown data source {options['source']!r}; use one of: {', '.join(codes)}")
        try:
            fileobj = open(options["file"], "rb")  # noqa: SIM115 (closed below, after the copy)
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error.strerror}") from None
        with fileobj:
            batch = import_batch_create(
                source=source, fileobj=fileobj, name=options["file"], file_format=options["format"]
            )
        self.stderr.write(f"batch {batch.pk}: {batch.bytes_total} bytes from {options['file']}")

        handler = logging.StreamHandler(sys.stderr)
        log = logging.getLogger("creditinfo.imports")
        saved = log.level, log.propagate
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False  # once on stderr is enough
        try:
            credit_records_import.apply(args=(batch.pk,), kwargs={"recompute": not options["no_recompute"]}, throw=True)
        finally:
            log.removeHandler(handler)
            log.level, log.propagate = saved

        batch.refresh_from_db()
        if batch.status != ImportBatch.Status.DONE:
            raise CommandError(f"batch {batch.pk} failed: {batch.failure}")
        counts = {
            "created": batch.created_count,
            "updated": batch.updated_count,
            "unchanged": batch.unchanged_count,
            "errors": batch.error_count,
        }
        self.stdout.write(json.dumps(counts))
