# The local stand-in for RDS MySQL: a throwaway mariadbd (local/mariadb.py) in a temporary data
# directory on a free port. The apt packages come from system-deps (mk/system.mk).
.PHONY: mariadb-install mariadb-run

mariadb-install: system-deps
	@command -v mariadbd >/dev/null 2>&1 || test -x /usr/sbin/mariadbd || { echo "mariadbd not found after system-deps"; exit 1; }
	@command -v mariadb-install-db >/dev/null 2>&1 || { echo "mariadb-install-db not found after system-deps"; exit 1; }

# Serve one in the foreground (Ctrl-C stops it and removes its data); prints the DB_* settings.
mariadb-run: mariadb-install install
	$(PY) -m local.mariadb
