"""What each `seed_demo --scale` means in rows.

`demo` is written through the services (lending.seeding.demo); the others are bulk-loaded with PostgreSQL COPY
(lending.seeding.bulk) from the same generators. `tiny` is a hidden bulk scale for tests.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    enterprises: int
    products: int
    demands: int
    applications: int
    built: bool
    description: str
    loans: int = 0  # disbursed applications (bulk scales; the demo's follow from its outcome mix)
    records: int | None = None  # exact number of credit records (bulk); None: the generator's natural mix
    network: str = "demo"  # bank network: "demo" (8 banks, lending.seeding.catalog) or "province" (30 banks)
    bulk: bool = False
    hidden: bool = False


SCALES: dict[str, Scale] = {
    "demo": Scale("demo", 200, 40, 60, 120, True, "a few hundred rows for clicking through, seeded via the services"),
    "medium": Scale(
        "medium", 100_000, 300, 20_000, 100_000, True, "100k enterprises, 1M credit records, bulk-loaded with COPY",
        loans=60_000, records=1_000_000, network="province", bulk=True,
    ),
    "province": Scale(
        "province", 1_000_000, 3_000, 200_000, 1_000_000, True, "1M enterprises, 10M credit records, bulk-loaded "
        "with COPY",
        loans=600_000, records=10_000_000, network="province", bulk=True,
    ),
    "tiny": Scale(
        "tiny", 2_000, 60, 400, 2_000, True, "2,000 enterprises, 20k records through the bulk COPY path (tests)",
        loans=1_200, records=20_000, network="demo", bulk=True, hidden=True,
    ),
}  # fmt: skip
