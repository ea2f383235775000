"""The hub's REST API v1: one module per route group, assembled in ``app.py``."""
