"""What the sensor and relay daemons share: the link to the hub (find, enroll, pin, register),
its client, credentials, identity, configuration, command line and service."""
