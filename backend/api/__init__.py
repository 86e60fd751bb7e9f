"""The intake API (FastAPI). `create_app()` builds it; see app.py."""

from backend.api.app import ApiConfig, create_app
from backend.intake import IntakeConfig

__all__ = ["ApiConfig", "IntakeConfig", "create_app"]
