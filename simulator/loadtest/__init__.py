"""`qofsim load PROFILE`: Locust load profiles (``load/``) driven against a world, then checked.

``plan.py``      what every Locust process needs to know (URLs, practices, requests, real counts) and
                 how an extract's exact bytes are built from it (Locust users and the checks alike);
``profiles.py``  each profile's purpose, thresholds and defaults, read from its module in ``load/``
                 without importing Locust (which monkey-patches the process it is imported in);
``target.py``    the world a run loads: its own (brought up and down), ``--world DIR`` or ``--host``;
                 the counts it sends, and the set-up a profile needs (a collection, a calculation);
``checks.py``    after the run: conservation, one payment instruction per declared practice, and the
                 independent (QMAS) re-derivation of points and payments from stored counts;
``runner.py``    Locust headless (alone, or a master and N workers), RSS sampling, summary.json.
"""
