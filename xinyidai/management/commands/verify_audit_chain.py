"""Walk the audit trail and check its hash chain: `OK: N events, head <hash>`, or the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from xinyidai.services.audit import audit_chain_verify


class Command(BaseCommand):
    help = (
        "Verify the audit trail: seq without gaps, each prev_hash equal to the hash before it, each hash equal to "
        "the event's recomputed hash. Exits non-zero at the first broken link."
    )

    def handle(self, *args, **options):
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(f"BROKEN at seq {report.broken_seq}: {report.problem} ({report.count} events intact)")
        self.stdout.write(f"OK: {report.count} events, head {report.head}")
