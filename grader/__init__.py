"""grader: grade homework answers against reference numpy solvers, with feedback that teaches."""

__version__ = "0.1.0"
