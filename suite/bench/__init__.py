"""Benchmarks (`kabinet bench …`): ratios against raw baselines measured in the same run."""
