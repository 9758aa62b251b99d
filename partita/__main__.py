"""``python -m partita``: the command line (:mod:`partita.cli`)."""

import sys

from partita.cli import main

if __name__ == "__main__":
    sys.exit(main())
