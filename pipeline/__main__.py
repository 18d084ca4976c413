"""`python -m pipeline` runs the baocao command."""

import sys

from pipeline.cli import main

sys.exit(main())
