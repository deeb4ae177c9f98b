"""qofsim's Gherkin library: steps in QOF's words over the running services (features/).

``library.py`` (typed step patterns, the registry, the glossary), ``worlds.py`` (which world a scenario
runs in, brought up as processes), ``context.py`` (one scenario's story and the evidence it reads over
HTTP), ``steps/`` (the steps, by stage), ``plugin.py`` (pytest hooks), ``runner.py`` (``qofsim bdd``)
and ``report.py`` (the HTML report). Needs the test extras (pytest, pytest-bdd).
"""
