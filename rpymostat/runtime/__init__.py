"""What every process shares at run time: the reactor and process life, clocks, entry-point
plugins, private files, TLS, systemd notification. Twisted is allowed; HTTP routes and the
database are not."""
