"""CLI subcommands: each module has ``add_arguments(parser)`` and ``run(args) -> int``.

Modules here import heavy libraries inside ``run`` only, so that ``--help`` stays fast.
"""
