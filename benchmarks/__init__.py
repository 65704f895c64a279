"""lossbook benchmarks: accuracy against mpmath, speed against PyTorch and MONAI.

Run ``python -m benchmarks`` (``make bench``) or ``python -m benchmarks --quick --out DIR``.
"""
