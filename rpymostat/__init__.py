"""RPyMostat hub and the code shared by every part of the system."""

__version__ = "0.1.0"
