"""The parts of one analysis run, one job per module; :mod:`vagg.pipeline` puts them in order.

- :mod:`vagg.run.record`: each stage's time, the tables and figures written, the package versions;
- :mod:`vagg.run.variables`: the variables a run builds (index, outcomes, instrument, mediators) and
  the input columns each needs;
- :mod:`vagg.run.plan`: every column the config names checked against the data, and the stages the
  data allow;
- :mod:`vagg.run.table1`: Table 1 and the audit of a published ranking;
- :mod:`vagg.run.prepare`: the panel read once, checked, with the missing-data policy applied and the
  weights built;
- :mod:`vagg.run.stages`: the analysis stages in order.

Imports run down this list (a module imports only those above it).
"""
