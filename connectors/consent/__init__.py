"""Photo and video consents from a CSV file (``type = "consent-csv"``): the smallest complete
connector, see docs/connectors.md."""
