"""Quality-improvement statistics: statistical process control and funnel plots.

One module per chart family, on numpy alone, each checked against published test vectors from
the reference implementations (tests/fixtures/qi_vectors/README.md says which).
"""
