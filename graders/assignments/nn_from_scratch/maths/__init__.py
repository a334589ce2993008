"""The grader's own mathematics: forward passes, gradients, evaluation."""
