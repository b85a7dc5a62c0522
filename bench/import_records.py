"""Benchmark of credit-record ingestion: a generated N-row CSV file, (a) a raw COPY of it into a scratch table
and (b) `manage.py import_credit_records` end to end in a subprocess, in the same run on the same database.

    .venv/bin/python -m bench.import_records --database-url postgres://.../xinyidai_province --rows 1000000

The file's USCCs are mostly those of enterprises already in the database, plus about 2% unknown ones (which
become skeleton enterprises); categories, titles, authorities and dates follow a believable mix. The import
runs with --no-recompute (re-evaluation is its own task and its own benchmark). Targets: >= 50,000 rows/s end
to end and a peak RSS of the import process under 300 MB. Afterwards the benchmark's records, skeletons and
batch are deleted again (--keep leaves them). Writes bench/results/import-<scale>-<UTC timestamp>.json.
"""

import argparse
import csv
import datetime
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from bench.server import ROOT, production_env

RESULTS = ROOT / "bench" / "results"
HEADER = "source_record_id,uscc,enterprise_name,category,decision_date,severity,title,authority,detail,publish_until"
TARGET_ROWS_PER_S = 50_000
TARGET_PEAK_MB = 300
SOURCE = "credit-henan"  # the aggregated feed: every category
CITIES = {
    "4101": "郑州市",
    "4102": "开封市",
    "4103": "洛阳市",
    "4104": "平顶山市",
    "4105": "安阳市",
    "4107": "新乡市",
    "4108": "焦作市",
    "4110": "许昌市",
    "4113": "南阳市",
    "4117": "驻马店市",
}
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# (category, share, severities, titles, authority suffix, detail template)
MIX = [
    ("penalty", 24, ("minor", "general", "general", "serious"),
     ("未按规定公示年度报告", "超标排放大气污染物", "销售不合格产品", "未按规定办理变更登记", "虚假宣传"),
     "市场监督管理局", "{city}市监罚〔{year}〕{n}号：罚款人民币{amount}元。"),
    ("abnormal_operation", 8, ("general",), ("未按规定期限公示年度报告", "通过登记的住所无法联系"),
     "市场监督管理局", "列入经营异常名录，依据《企业经营异常名录管理暂行办法》。"),
    ("judgment_debtor", 4, ("general", "serious"), ("有履行能力而拒不履行生效法律文书确定义务",),
     "中级人民法院", "（{year}）豫执{n}号，未履行金额{amount}元。"),
    ("serious_dishonesty", 1, ("serious",), ("拒不履行行政处罚决定",), "发展和改革委员会", "列入严重失信主体名单。"),
    ("tax_grade", 18, ("",), ("A", "B", "B", "M", "C", "D"), "税务局", "{year}年度纳税信用评价结果"),
    ("social_insurance", 15, ("",), ("社会保险费按时足额缴纳", "住房公积金按月足额缴存"), "社会保险中心",
     "参保职工{small}人，无欠缴记录。"),
    ("utility", 8, ("",), ("欠缴电费逾期90日", "欠缴水费逾期60日", "燃气费按时缴纳"), "供电公司",
     "欠费金额{amount}元。"),
    ("licence", 10, ("",), ("食品经营许可证", "道路运输经营许可证", "排污许可证"), "行政审批和政务信息管理局",
     "许可证编号{n}。"),
    ("honour", 4, ("",), ("专精特新中小企业", "守合同重信用企业", "农业产业化重点龙头企业"), "人民政府",
     "表彰文件{n}号"),
    ("commitment", 4, ("",), ("告知承诺：已按期履约", "告知承诺：未按期履约"), "市场监督管理局", "核查结果{n}"),
    ("intellectual_property", 4, ("",), ("发明专利授权", "实用新型专利授权", "计算机软件著作权登记"), "知识产权局",
     "专利号ZL{year}{n}.X"),
]  # fmt: skip


def uscc_of(division: str, serial: int) -> str:
    """A valid USCC (the same construction as creditinfo.uscc.uscc_build, without importing Django)."""
    org, n = "", serial
    for _i in range(8):
        org = ALPHABET[n % 31] + org
        n //= 31
    body = f"91{division}{org}{ALPHABET[(serial * 7) % 10]}"
    total = sum(ALPHABET.index(c) * w for c, w in zip(body, WEIGHTS, strict=True))
    return body + ALPHABET[(31 - total) % 31]


def known_enterprises(conn, limit: int = 200_000) -> list[tuple[str, str]]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT uscc, name FROM creditinfo_enterprise ORDER BY random() LIMIT %s", [limit])
        return cursor.fetchall()


def generate(path: Path, rows: int, known: list[tuple[str, str]], tag: str, seed: int = 2026) -> list[str]:
    """Write the file; returns the unknown USCCs it uses (to clean their skeletons up afterwards)."""
    rng = random.Random(seed)
    today = datetime.date.today()
    weights = [m[1] for m in MIX]
    unknown = [uscc_of(f"{rng.choice(list(CITIES))}{rng.randrange(2, 30):02d}", 31**7 * 20 + i) for i in range(5000)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        handle.write(HEADER + "\n")
        for i in range(rows):
            category, _share, severities, titles, authority, detail = rng.choices(MIX, weights)[0]
            if rng.random() < 0.02:
                code = rng.choice(unknown)
                name = f"{CITIES[code[2:6]][:2]}新设商贸有限公司{code[-6:]}"
            else:
                code, name = rng.choice(known)
            city = CITIES.get(code[2:6], "郑州市")
            decided = today - datetime.timedelta(days=rng.randrange(1, 1800))
            until = (decided + datetime.timedelta(days=365)).isoformat() if category == "tax_grade" else ""
            values = {"city": city[:1], "year": decided.year, "n": rng.randrange(1, 99999),
                      "amount": rng.randrange(1000, 500000), "small": rng.randrange(3, 500)}  # fmt: skip
            writer.writerow(
                (f"BENCH-{tag}-{i:08d}", code, name, category, decided.isoformat(), rng.choice(severities),
                 rng.choice(titles), city + authority, detail.format(**values), until)
            )  # fmt: skip
    return unknown


def raw_copy(conn, path: Path) -> float:
    """Seconds for COPY of the file into an unlogged scratch table with ten text columns."""
    columns = ", ".join(f"{name} text" for name in HEADER.split(","))
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE UNLOGGED TABLE bench_import_scratch ({columns})")
        conn.commit()
        started = time.perf_counter()
        sql = "COPY bench_import_scratch FROM STDIN WITH (FORMAT csv, HEADER true)"
        with cursor.copy(sql) as copy, path.open("rb") as handle:
            while block := handle.read(1 << 20):
                copy.write(block)
        conn.commit()
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_import_scratch")
        conn.commit()
    return seconds


def run_import(database_url: str, path: Path) -> tuple[float, dict, float, str]:
    """(seconds, the command's JSON line, peak RSS in MB of the import process, its stderr tail)."""
    env = production_env(database_url)
    env["DJANGO_LOG_LEVEL"] = "INFO"
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "manage.py", "import_credit_records", str(path), "--source", SOURCE, "--no-recompute"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    if process.returncode != 0:
        sys.stderr.write(process.stderr)
        raise SystemExit(f"the import failed with exit status {process.returncode}")
    return seconds, json.loads(process.stdout.strip().splitlines()[-1]), peak_mb, process.stderr[-2000:]


def cleanup(conn, unknown: list[str]) -> dict:
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT b.id, b.file FROM creditinfo_importbatch b JOIN creditinfo_datasource s ON s.id = b.source_id "
            "WHERE s.code = %s ORDER BY b.id DESC LIMIT 1",
            [SOURCE],
        )
        batch_id, file_name = cursor.fetchone()
        cursor.execute("DELETE FROM creditinfo_creditrecord WHERE batch_id = %s", [batch_id])
        records = cursor.rowcount
        cursor.execute(
            "DELETE FROM creditinfo_enterprise e WHERE e.is_skeleton AND e.uscc = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM creditinfo_creditrecord r WHERE r.enterprise_id = e.id)",
            [unknown],
        )
        skeletons = cursor.rowcount
        cursor.execute("DELETE FROM creditinfo_importrowerror WHERE batch_id = %s", [batch_id])
        cursor.execute("DELETE FROM creditinfo_importbatch WHERE id = %s", [batch_id])
    conn.commit()
    stored = ROOT / "media" / file_name
    stored.unlink(missing_ok=True)
    return {"records_deleted": records, "skeletons_deleted": skeletons, "batch_deleted": batch_id}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--scale", default="", help="label of the results file (default: from the database name)")
    parser.add_argument("--keep", action="store_true", help="keep the imported records, skeletons and batch")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        parser.error("--database-url must name a PostgreSQL database")
    database = urlsplit(args.database_url).path.lstrip("/")
    scale = args.scale or database.removeprefix("xinyidai_") or "custom"
    tag = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S")

    with psycopg.connect(args.database_url) as conn, tempfile.TemporaryDirectory() as tmp:
        known = known_enterprises(conn)
        if not known:
            raise SystemExit("no enterprises in the database: run seed_demo first")
        path = Path(tmp) / f"bench-{args.rows}.csv"
        started = time.perf_counter()
        unknown = generate(path, args.rows, known, tag)
        generate_seconds = time.perf_counter() - started
        size = path.stat().st_size
        print(f"generated {args.rows:,} rows, {size / 1e6:.1f} MB in {generate_seconds:.1f} s", file=sys.stderr)

        copy_seconds = raw_copy(conn, path)
        print(f"raw COPY: {copy_seconds:.2f} s", file=sys.stderr)
        import_seconds, counts, peak_mb, log_tail = run_import(args.database_url, path)
        print(f"import: {import_seconds:.2f} s, peak {peak_mb:.0f} MB, {counts}", file=sys.stderr)
        cleaned = {} if args.keep else cleanup(conn, unknown)
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM creditinfo_enterprise")
            enterprises = cursor.fetchone()[0]

    copy_rate, import_rate = args.rows / copy_seconds, args.rows / import_seconds
    result = {
        "scale": scale,
        "database": database,
        "finished_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "git": subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip(),
        "rows": args.rows,
        "file_bytes": size,
        "enterprises_in_database": enterprises,
        "known_usccs_sampled": len(known),
        "raw_copy": {"seconds": round(copy_seconds, 3), "rows_per_s": round(copy_rate)},
        "import": {
            "seconds": round(import_seconds, 3),
            "rows_per_s": round(import_rate),
            "counts": counts,
            "peak_rss_mb": round(peak_mb, 1),
            "log_tail": log_tail,
        },  # fmt: skip
        "ratio_import_to_copy": round(import_rate / copy_rate, 4),
        "cleanup": cleaned,
        "targets": {
            "rows_per_s": {
                "target": TARGET_ROWS_PER_S,
                "measured": round(import_rate),
                "met": import_rate >= TARGET_ROWS_PER_S,
            },  # fmt: skip
            "peak_rss_mb": {"target": TARGET_PEAK_MB, "measured": round(peak_mb, 1), "met": peak_mb < TARGET_PEAK_MB},
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"import-{scale}-{tag}Z.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(
        f"raw COPY      {copy_rate:>10,.0f} rows/s  ({copy_seconds:.2f} s)\n"
        f"import (e2e)  {import_rate:>10,.0f} rows/s  ({import_seconds:.2f} s)  target >= {TARGET_ROWS_PER_S:,}: "
        f"{'MET' if import_rate >= TARGET_ROWS_PER_S else 'MISSED'}\n"
        f"ratio         {import_rate / copy_rate:.3f} of raw COPY\n"
        f"peak RSS      {peak_mb:.0f} MB  target < {TARGET_PEAK_MB}: "
        f"{'MET' if peak_mb < TARGET_PEAK_MB else 'MISSED'}\n"
        f"counts        {counts}\n"
        f"written to    {out.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
