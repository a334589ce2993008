"""Assignments: each package declares its API, checks, diagnoses, fixtures and resources."""
