"""The monthly QI pack: a summary table, each indicator's SPC chart with its commentary, the
bottleneck findings and the waiting list, for the network and each site, as HTML and PDF,
under the disclosure policy (a pack is published by definition)."""
