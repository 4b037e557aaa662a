"""The intern list (``type = "interns-csv"``): interns and student teachers with their school,
period, study end, institute and supervisors (docs/accountability.md, "Interns")."""
