"""The misconception detectors of this assignment."""
