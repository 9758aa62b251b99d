"""One module per ``partita`` subcommand: ``add_parser(subparsers)`` and ``run(args) -> int``."""
