"""Parley API: the FastAPI application and the domain packages shared with worker/ and realtime/."""
