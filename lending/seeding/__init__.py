"""Synthetic data for demos and load tests.

- `vocab`: word lists (trade names, surnames, industry words, purposes, telephone area codes);
- `catalog`: the demo's banks, their branch network and the loan-product templates;
- `generators`: pure functions of a `random.Random` (names, USCCs, size figures, tags, amounts, times),
  shared by every scale;
- `province`: pure generators the bulk scales add (the 30-bank provincial network, Henan-weighted places,
  varied 字号, USCCs by serial, the size standard per industry, exact-count samplers);
- `records`: pure generators of each firm's public credit records (every category of DOMAIN.md §3), shared
  by the demo loader and the bulk loader;
- `feedback`: pure generators of each loan's bank feedback (repayments, twelve month-end balances) and the status
  and outstanding balance they lead to, shared by the demo loader and the bulk loader;
- `scales`: what each `--scale` means in rows;
- `demo`: the ORM loader for `--scale demo`, which drives the real services so invariants hold;
- `bulk`: the PostgreSQL COPY loader for `--scale medium|province` (and the hidden `tiny` used by tests).
"""
