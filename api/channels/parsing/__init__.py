"""Meta webhook bodies → normalised events (`api.channels.events`). Pure functions."""

from api.channels.parsing.messenger import parse_messenger
from api.channels.parsing.whatsapp import parse_whatsapp

__all__ = ["parse_messenger", "parse_whatsapp"]
