"""metasim: a local stand-in for Meta's Graph API and Messenger webhook deliveries.

Run it with ``uvicorn metasim.main:app --port 8010``; drive it over HTTP through the
``/_sim/*`` control endpoints or the ``python -m metasim`` CLI.
"""
