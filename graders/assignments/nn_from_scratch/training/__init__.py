"""Training verification: integrity of every update, replays, the MNIST plan."""
