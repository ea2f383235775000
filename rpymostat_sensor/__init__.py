"""The sensor node daemon (``rpymostat-sensor``): sampling, the on-disk queue, delivery to the
hub, and its drivers (``drivers/``)."""
