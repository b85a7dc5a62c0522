"""Seed demo data: banks and branches, officers, government staff, enterprises, products, demands,
applications through their whole lifecycle, loans, and public credit records (lending.seeding.records), then
the credit evaluations and the dashboard's statistics rollups. Deterministic for a seed, safe to re-run.

    manage.py seed_demo --scale demo [--seed 20261127] [--password 'Xinyidai#2026']
    manage.py seed_demo --scale medium|province [--seed N] [--as-of YYYY-MM-DD]

--scale demo (~200 enterprises, ~2,000 credit records) goes through the services on any database.
--scale medium (100k enterprises, 1M credit records) and province (1M, 10M) are bulk-loaded with PostgreSQL
COPY from the same generators (lending.seeding.bulk); they need PostgreSQL and a database without other
seeded data.
"""

import datetime
import unicodedata

from django.contrib.auth.hashers import check_password
from django.core.management.base import BaseCommand, CommandError

from lending.seeding.demo import DEFAULT_PASSWORD, DEFAULT_SEED, DemoSeeder, SeedError, logins
from lending.seeding.scales import SCALES
from xinyidai.models import User


def demo_password_matches(password: str) -> bool:
    """Whether an existing demo login still has this password (checked without rehashing or saving)."""
    user = User.objects.filter(username="demo_admin").only("password").first()
    return user is not None and check_password(password, user.password)


def display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(display_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells):
        return "  ".join(c + " " * (w - display_width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


class Command(BaseCommand):
    help = "Seed deterministic demo data (banks, enterprises, products, demands, applications, loans); idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            default="demo",
            help="demo: ~200 enterprises through the services. medium: 100k enterprises and 1M credit records, "
            "province: 1M and 10M, "
            "bulk-loaded with COPY (PostgreSQL only).",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"password of the demo logins (default {DEFAULT_PASSWORD}); other seeded users cannot log in",
        )
        parser.add_argument(
            "--as-of",
            type=datetime.date.fromisoformat,
            default=None,
            help="bulk scales: the day the generated two years of history end (default today); with --seed it "
            "fixes every row",
        )

    def handle(self, *args, scale: str, seed: int, password: str, **options):
        spec = SCALES.get(scale)
        if spec is None:
            shown = ", ".join(name for name, s in SCALES.items() if not s.hidden)
            raise CommandError(f"Unknown --scale {scale!r}; choose one of: {shown}.")
        if not spec.built:
            raise CommandError(f"--scale {scale} ({spec.description}) is not built yet; use --scale demo.")
        if not password:
            raise CommandError("--password must not be empty.")
        verbose = options.get("verbosity", 1) >= 1
        log = self.stdout.write if verbose else None
        if spec.bulk:
            self._bulk(spec, seed=seed, password=password, as_of=options.get("as_of"), log=log)
            return
        if verbose:
            self.stdout.write(f"Seeding --scale {scale} ({spec.description}), seed {seed}")
        try:
            result = DemoSeeder(scale=spec, seed=seed, password=password, log=log).run()
        except SeedError as exc:
            raise CommandError(str(exc)) from exc
        if not verbose:
            return
        self.stdout.write("")
        self.stdout.write("Database now holds:")
        for line in table(["table", "rows"], [list(r) for r in result.summary]):
            self.stdout.write("  " + line)
        self.stdout.write("")
        self.stdout.write("Demo logins:")
        shown = password
        if not result.created and not demo_password_matches(password):
            shown = "(as set when first seeded; not --password)"
        rows = [[username, shown, role, belongs] for username, role, belongs in result.logins]
        for line in table(["username", "password", "role", "belongs to"], rows):
            self.stdout.write("  " + line)
        self.stdout.write("Every other seeded user has an unusable password (data only).")
        done = "seeded" if result.created else "already seeded, nothing changed"
        self.stdout.write(self.style.SUCCESS(f"Done in {result.seconds:.1f}s ({done})."))

    def _bulk(self, spec, *, seed: int, password: str, as_of, log) -> None:
        from lending.seeding.bulk import BulkSeeder, BulkSeedError

        if log:
            log(f"Seeding --scale {spec.name} ({spec.description}), seed {seed}")
        try:
            result = BulkSeeder(scale=spec, seed=seed, password=password, as_of=as_of, log=log).run()
        except BulkSeedError as exc:
            raise CommandError(str(exc)) from exc
        if not log:
            return
        if not result.created:
            self.stdout.write(result.message)
            return
        self.stdout.write("")
        self.stdout.write("Stages:")
        rows = []
        for stage in result.stages:
            total = sum(stage.rows.values())
            rate = f"{total / stage.seconds:,.0f}" if total and stage.seconds else "-"
            detail = ", ".join(f"{name} {count:,}" for name, count in stage.rows.items())
            rows.append([stage.name, f"{stage.seconds:.1f}", f"{total:,}", rate, detail])
        for line in table(["stage", "seconds", "rows", "rows/s", "tables"], rows):
            self.stdout.write("  " + line)
        self.stdout.write("")
        self.stdout.write("Demo logins:")
        shown = password if demo_password_matches(password) else "(as set when first seeded; not --password)"
        login_rows = [[username, shown, role, belongs] for username, role, belongs in logins()]
        for line in table(["username", "password", "role", "belongs to"], login_rows):
            self.stdout.write("  " + line)
        self.stdout.write("Every other seeded user has an unusable password (data only).")
        self.stdout.write(self.style.SUCCESS(f"Done in {result.seconds:.1f}s (seeded)."))
