"""What every process shares at run time: the console scripts, the reactor and process life,
configuration, clocks, entry-point plugins, private files, TLS, zeroconf, systemd
notification. Twisted is allowed; HTTP routes and the database are not."""
