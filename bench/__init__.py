"""Performance suite of nngrade: ``python -m bench`` (see ``bench/README.md``).

Measures the reference solution's training against PyTorch on the CPU, the
machine's GEMM throughput, the latency and overhead of grading one submission,
and batch throughput, then prints a table with the targets and writes JSON.
"""
