"""The web interface: server-rendered pages for office staff, employees, reviewers and administrators."""
