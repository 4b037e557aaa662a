"""Privacy: photo and video consent (toestemming beeldmateriaal) and data breaches (datalekken)."""
