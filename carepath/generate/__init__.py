"""Synthetic site extracts for the demo, the tests and the benchmarks.

network.py writes a network's deliveries (one folder per site, each in its own layout, with
planted bottlenecks and bad rows, and the ground truth beside them); pathway.py simulates one
patient's journey; roster.py lists the sites.
"""

from carepath.generate.network import generate

__all__ = ["generate"]
