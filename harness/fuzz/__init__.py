"""harness/fuzz."""
