"""The check engine: every data check as SQL run by DuckDB (docs/architecture.md, "The check engine").

``plan.py`` generates the statements from the Table Schemas and the registry and adds each study's
rules (``checks.sql`` in its folder); ``sql.py`` holds the shared SQL (masking, the identifier
screen, typed values); ``load.py`` is the load contract (how a host puts the CSVs into DuckDB);
``runner.py`` is the Python host; ``frames.py`` reads typed tables for the analyses afterwards;
``export.py`` writes the plan as JSON for the browser validator; ``errors.py`` holds what stops a
validation (DuckDB out of memory).
"""
