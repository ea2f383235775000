"""The hub process: its service and commands, control loop, dispatch to relays, live state,
mDNS advertisement, REST API (``api/``) and database (``store/``)."""
