"""The control-quality benchmark: the real schedule, decision and guard code against a house
model on a simulated clock, with the KPIs BOPTEST uses (docs/control-quality.md)."""
