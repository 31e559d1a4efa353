"""Many runs: where they execute, sweeps of arms and replicates, the result store, outcomes.

What lives here: ``executors.py`` (a local pool of workers, or a Dask cluster; results in
submission order), ``sweep.py`` (the sweep spec, its arms and runs, ``run_experiment``),
``store.py`` (the resumable Parquet store, ``load_experiment``), ``outcomes.py`` (a run's
outcome totals: overdoses, infections, deaths, life-years, cost).

May import: the model and everything below it (``hrsim.runner``, ``hrsim.scenario``,
``hrsim.core``). ``Experiment.comparison`` reaches up to ``hrsim.analysis.compare`` when called.
"""
