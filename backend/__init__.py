"""The judge's backend: intake API, completion consumer, database (migrations, repositories), admin."""
