"""``python -m partita``: the command line (:mod:`partita.cli`)."""

from partita.cli import entry

if __name__ == "__main__":
    entry()
