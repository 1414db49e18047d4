"""Helpers the tests share: where things are (paths.py), how extract files are written
(extract_files.py), and the independent recomputation of the marts (recompute_marts.py,
marts_check.py). Not tests themselves; imported as `support.<module>`."""
