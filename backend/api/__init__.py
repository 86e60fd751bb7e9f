"""The intake API (FastAPI). `create_app()` builds it; see app.py."""

from backend.api.app import ApiConfig, create_app

__all__ = ["ApiConfig", "create_app"]
