-- Problem packages in S3, content addressed (`packages/<sha256>.tar.gz` in the package bucket); this
-- table is the index: which archives exist there, under which key, how big. `problems.package_sha256`
-- still says which archive is a problem's current one. A package with no row here was imported before
-- packages moved to S3: its chunks are in `problem_packages`, which workers read as a fallback
-- (`judge-admin move-packages` copies them to the bucket).
CREATE TABLE IF NOT EXISTS package_objects (
  sha256     CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  object_key VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  size_bytes BIGINT NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (sha256),
  CONSTRAINT package_objects_size CHECK (size_bytes > 0)
) ENGINE=InnoDB;
