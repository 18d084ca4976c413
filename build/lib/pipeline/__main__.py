"""`python -m pipeline` runs the baocao command."""

import sys

from pipeline.cli.main import main

sys.exit(main())
