"""The append-only, hash-chained audit trail: record, verify and show what was done and why."""
