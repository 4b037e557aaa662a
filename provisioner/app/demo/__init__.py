"""A realistic, deterministic demo school board: HR export, OneRoster SIS, consents, config."""
