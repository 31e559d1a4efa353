"""State and its tools: the people, their ties, random streams and the records of a run.

What lives here: ``states.py`` (care codes and the predicates ``on_moud``, ``free_to_meet``,
``injecting_now``), ``people.py`` (the arrays and the week's shared masks, ``WeekView``),
``agents.py`` (the ``Person`` Mesa agent and the lazy Mesa view), ``network.py`` (the three tie
layers), ``hooks.py`` (the model-wide knobs programmes turn), ``results.py`` (timeseries, event
log, programme outputs), ``rng.py`` and ``sampling.py`` (common random numbers and thinned
draws), ``context.py`` (what a process or programme may read and write in a week), ``capacity.py``
(will a run fit in memory: the cost per person, checked before a model is built).
``supply.py`` (this week's dose: fentanyl or not, one keyed draw per person-week).

May import: NumPy, networkx, Mesa, ``hrsim.errors``; never the model, the processes or the
programmes (a scenario only for type hints).
"""
