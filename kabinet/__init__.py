"""Runtime kit shared by every kabinet process."""
