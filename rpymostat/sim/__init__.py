"""A simulated house and its weather: the test bed and demo for the whole system."""
