"""What every service shares (supplier, GPES and CQRS alike): error handlers, settings loading.

Imports only ``simulator.contracts``, never a service, so each service can use it without
reaching into another service.
"""
