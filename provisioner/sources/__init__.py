"""What sources deliver to the engine: records, and the records they could not use."""
