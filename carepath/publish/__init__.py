"""Publishing the marts: a read-only copy swapped in whole (publication.py), and the selections
the dashboard reads from it (reader.py)."""
