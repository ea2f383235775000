"""RPyMostat: the pure core, the hub, what both node daemons share, and the simulated house;
Architecture.md draws the packages and which may import which."""

__version__ = "0.1.0"
