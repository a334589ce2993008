"""The grader's side of the sandbox: isolation levels, slots, the worker channel and client."""
