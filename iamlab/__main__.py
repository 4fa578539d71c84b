"""``python -m iamlab`` runs the CLI."""

import sys

from iamlab.cli import main

sys.exit(main())
