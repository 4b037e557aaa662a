"""Reports for the people who run the provisioner: the morning report (``morning.py``)."""
