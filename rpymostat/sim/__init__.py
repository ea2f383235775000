"""A simulated house and its weather, and ``rpymostat demo``: for the demo, the benchmarks and
the simulated drivers only (the hub never imports it)."""
