"""HTTP endpoints of the reference server (Starlette request handlers)."""
