"""Policy: pure functions from source records to desired state."""
