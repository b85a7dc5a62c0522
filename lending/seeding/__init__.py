"""Synthetic data for demos and load tests.

- `vocab`: word lists (trade names, surnames, industry words, purposes, telephone area codes);
- `catalog`: the banks, their branch network and the loan-product templates;
- `generators`: pure functions of a `random.Random` (names, USCCs, size figures, tags, amounts, times),
  shared by every scale;
- `scales`: what each `--scale` means in rows;
- `demo`: the ORM loader for `--scale demo`, which drives the real services so invariants hold.

A bulk loader for `--scale medium|province` (COPY into PostgreSQL) is meant to reuse `generators` and
`catalog` unchanged and replace only `demo`'s per-row service calls.
"""
