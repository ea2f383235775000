"""Pure code: no Twisted, no SQLAlchemy, no I/O. Times, targets, readings, settings, the
schedule and the control decision are functions of their inputs and of ``now``."""
