"""The check families of this assignment, in run order (see ``FAMILIES``)."""
