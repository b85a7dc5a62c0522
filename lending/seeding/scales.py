"""What each `seed_demo --scale` means in rows. Only `demo` has a loader so far."""

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


SCALES: dict[str, Scale] = {
    "demo": Scale("demo", 200, 40, 60, 120, True, "a few hundred rows for clicking through, seeded via the services"),
    "medium": Scale("medium", 100_000, 400, 20_000, 60_000, False, "100k enterprises, bulk-loaded with COPY"),
    "province": Scale("province", 1_000_000, 2_000, 200_000, 600_000, False, "1M enterprises, bulk-loaded with COPY"),
}
