"""The benchmark: demo data generated at several scales, representative list queries timed."""
