"""Rules, their occurrences and the resolved timeline of a zone; the schedule-plugin protocol."""
