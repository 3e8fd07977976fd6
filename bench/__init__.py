"""The benchmark: the gateway against the physical limit of its stack (make bench)."""
