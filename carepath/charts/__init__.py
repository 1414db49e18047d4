"""The charts carepath draws, as Altair specifications: one module per chart family, shared by
the dashboard and the monthly QI pack. Each draws a mart's rows as they are (it selects and
lays out; the figures, limits and judgements are the marts'), with the conventions of
`axes` and `formats` so that a month, a proportion or a count reads the same everywhere."""
