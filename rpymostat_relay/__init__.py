"""RPyMostat relay node daemon, its drivers and its small API."""
