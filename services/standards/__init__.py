"""Standards: baselines, conformance per school, and the figures derived from the platform's own records."""
