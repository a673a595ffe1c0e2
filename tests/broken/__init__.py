"""The broken-kernel catalogue and its test (test_broken_kernels.py)."""
