"""What every load profile in ``load/`` is built from, one module per concern.

``state``         the plan each Locust process runs (read by the master or the only process, sent to
                  each worker with its share of the practices), the practices each role works
                  through, and the tally kept by the master (workers send theirs when they stop);
``supplier``      GP-system suppliers submitting real extracts to GPES (and resending some);
``practice``      practices viewing achievement, declaring, and entering their manual indicators;
``commissioner``  CCGs approving and rejecting declared practices;
``finance``       finance running payments;
``shape``         the staged ``LoadTestShape`` every profile draws its curve with.

Profiles import Locust first (before anything that imports ``requests``: gevent patches).
"""
