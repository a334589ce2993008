"""The public corpus: broken implementations with known diagnoses, and correct but different ones."""
