"""Plain structured-enough logging for now: one line per record, level and logger name."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level.upper(), format=FORMAT)
    root.setLevel(level.upper())
    # httpx logs full URLs at INFO; keep it quiet so nothing sensitive lands in logs.
    logging.getLogger("httpx").setLevel(logging.WARNING)
