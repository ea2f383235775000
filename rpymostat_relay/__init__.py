"""The relay node daemon (``rpymostat-relay``): outputs switched on leases, its small API,
and its drivers (``drivers/``)."""
