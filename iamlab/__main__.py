"""``python -m iamlab`` runs the CLI."""

import sys

try:
    from iamlab.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command is still starting
    print("interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
