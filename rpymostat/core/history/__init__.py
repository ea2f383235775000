"""History in pure terms: the names of the series, the chunk codec and bucket maths.

The store (``rpymostat/hub/store/history.py``) keeps the rows; everything here is a
function of its arguments, so the format and the maths are tested without a database.
"""
