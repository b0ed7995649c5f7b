"""The application shell: the `kabinet` command, the embedded stack, demo data, benchmarks
and the test stack, with the one registry of the suite's processes."""
