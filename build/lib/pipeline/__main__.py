"""`python -m pipeline` runs the baocao command."""

import sys

from pipeline.cli.launch import main

sys.exit(main())
