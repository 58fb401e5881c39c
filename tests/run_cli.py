"""`python -m tests.run_cli ARGS…` is `trust-it ARGS…` on the test run's clock (tests/clock.py),
so a worker a test starts sees the same day as the test that queued its jobs."""
import sys

from tests.clock import shift_clock

if __name__ == "__main__":
    shift_clock()
    from trust_it.cli import main
    sys.argv[0] = "trust-it"
    sys.exit(main())
