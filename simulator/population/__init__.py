"""The synthetic nation: practices, registered patients and coded events (see generate.py)."""
