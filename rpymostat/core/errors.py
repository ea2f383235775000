"""What store operations refuse with. Kept apart from the store so that code which only
maps these to HTTP answers (the relay node's API too) need not import SQLAlchemy."""


class NotFound(LookupError):
    pass


class Conflict(ValueError):
    pass


class Unavailable(RuntimeError):
    """The database could not be written (locked, full, connection lost): try again later."""
