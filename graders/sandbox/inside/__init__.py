"""Programs that run inside the sandbox (copied next to the worker; never imported by student code)."""
