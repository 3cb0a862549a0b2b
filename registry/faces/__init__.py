"""Reference faces: enrolment, the template cache, and the worker processes that read photos."""
