"""Planning: desired state, operations, and the pure diff between desired and actual."""
