"""carepath: oncology to rehabilitation care-coordination audit pipeline."""
