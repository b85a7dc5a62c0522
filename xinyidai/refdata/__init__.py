"""Versioned reference data (GB/T 2260 regions, GB/T 4754 industries, the size standard, SME tags) as JSON.

The JSON files are the source of truth; `manage.py load_reference_data` copies them into the database.
"""

import json
from pathlib import Path

REFDATA_DIR = Path(__file__).resolve().parent


def load_json(name: str) -> dict | list:
    """Read one reference-data file from this package by file name."""
    with open(REFDATA_DIR / name, encoding="utf-8") as fh:
        return json.load(fh)
