"""Recompute the advisory credit evaluations, of all enterprises or of some.

    manage.py recompute_evaluations [--enterprise ID ...]

Prints how many enterprises were evaluated and how long it took.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from creditinfo.services.evaluations import evaluations_recompute


class Command(BaseCommand):
    help = "Recompute the advisory credit evaluations (all enterprises, or those given with --enterprise)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enterprise",
            action="append",
            type=int,
            dest="enterprise_ids",
            metavar="ID",
            help="An enterprise id; repeat for several. Without it, every enterprise is recomputed.",
        )

    def handle(self, *args, enterprise_ids=None, **options):
        if enterprise_ids is not None and any(pk < 1 for pk in enterprise_ids):
            raise CommandError(_("Enterprise ids are positive integers."))
        started = time.perf_counter()
        count = evaluations_recompute(enterprise_ids=enterprise_ids)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            ngettext(
                "%(count)d evaluation recomputed in %(seconds).1f s",
                "%(count)d evaluations recomputed in %(seconds).1f s",
                count,
            )
            % {"count": count, "seconds": elapsed}
        )
