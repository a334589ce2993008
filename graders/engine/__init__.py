"""The assignment-agnostic engine: configuration, start-up, fixtures, the grading flow."""
