"""Entry point for ``python -m metasim`` (see :mod:`metasim.cli`)."""

from metasim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
