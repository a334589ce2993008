"""Authoring tools: the student template generated from the reference."""
