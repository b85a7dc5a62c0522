"""Benchmark harness for issue 3: `make bench SCALE=medium|province|demo` (see bench/README.md).

Runs as its own process next to the server it measures; Django and pytest never import it.
"""
