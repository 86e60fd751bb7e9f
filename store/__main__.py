"""`python -m store`: apply pending migrations (DB_* or DB_SECRET_ARN)."""

import sys

from store.migrate import main

sys.exit(main())
