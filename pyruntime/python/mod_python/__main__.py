"""`python3 -m mod_python ...`: the mod_python command (mod_python.cli)."""

import sys

from .cli import main

sys.exit(main())
