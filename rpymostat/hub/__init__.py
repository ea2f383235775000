"""The hub process: its service, control loop, dispatch to relays, live state, mDNS
advertisement, REST API (``api/``) and database (``store/``)."""
