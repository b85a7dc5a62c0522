"""Credit-information pages, one module per area."""
