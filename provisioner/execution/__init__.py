"""Execution: locks, the journal-driven executor, and the sync flow."""
