"""What every FastAPI face shares (supplier, GPES and CQRS alike): error handlers today.

Imports only ``simulator.contracts``, never a service, so each service's ``app.py`` can use it
without reaching into another service.
"""
