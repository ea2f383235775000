"""RPyMostat sensor node daemon and its drivers."""
