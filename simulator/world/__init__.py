"""The simulated world as separate processes: CQRS, GPES and one process per supplier.

``qofsim up`` starts it and writes ``world.json``; ``qofsim down`` stops it; ``qofsim status``
shows each service's health and counts; ``qofsim run``, the Gherkin steps and the load tests drive
a world through :class:`World`, over HTTP only.
"""

from simulator.world.layout import ServiceInfo, WorldFile  # noqa: F401
from simulator.world.processes import World, WorldError, down, kill, restart, status, up  # noqa: F401
