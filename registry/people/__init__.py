"""People (students, employees, community members), their guardians, and the roster import."""
