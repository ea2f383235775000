"""The control decision: sensor aggregation, the decision plugins, the equipment guard."""
