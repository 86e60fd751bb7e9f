# Debian packages the judge needs: bubblewrap isolates submissions when the judge runs as root,
# MariaDB is the local stand-in for RDS MySQL. Installed only when missing and only as root.
APT_PACKAGES := bubblewrap mariadb-server mariadb-client
.PHONY: system-deps
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "apt-get install$$missing"; \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (install them as root)"; exit 1; fi; \
	fi
