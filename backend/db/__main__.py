"""`python -m backend.db`: apply pending migrations (DB_* or DB_SECRET_ARN)."""

import sys

from backend.db.migrate import main

sys.exit(main())
