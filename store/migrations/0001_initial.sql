-- The judge's tables (docs/ARCHITECTURE.md, "Database"). Runs on MariaDB 10.11 and MySQL 8.
-- Ids are ASCII with binary collation: exact matches, small indexes, same on both servers.

CREATE TABLE IF NOT EXISTS users (
  id           VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name         VARCHAR(64) NOT NULL,
  token_sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY users_name (name),
  UNIQUE KEY users_token (token_sha256)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS problems (
  id             VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name           VARCHAR(255) NOT NULL,
  type           VARCHAR(32) NOT NULL DEFAULT 'pass-fail',
  limits_json    JSON NOT NULL,
  package_sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  restricted     TINYINT(1) NOT NULL DEFAULT 0,
  created_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS problem_grants (
  user_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  problem_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (user_id, problem_id),
  CONSTRAINT problem_grants_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT problem_grants_problem FOREIGN KEY (problem_id) REFERENCES problems (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The package tar.gz in chunks below max_allowed_packet; the key is the hash of the whole archive,
-- so identical packages are stored once and a cache keyed by it never goes stale.
CREATE TABLE IF NOT EXISTS problem_packages (
  sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  seq    INT NOT NULL,
  chunk  LONGBLOB NOT NULL,
  PRIMARY KEY (sha256, seq)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS submissions (
  id             CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id        VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  problem_id     VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  language       VARCHAR(16) NOT NULL,
  s3_code_path   VARCHAR(512) NOT NULL,
  status         VARCHAR(16) NOT NULL DEFAULT 'QUEUED',
  verdict        VARCHAR(32) NULL,
  score          DOUBLE NULL,
  time_ms        INT NULL,
  memory_kb      INT NULL,
  result_json    JSON NULL,
  failure_reason TEXT NULL,
  attempt        INT NOT NULL DEFAULT 0,
  created_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY submissions_user (user_id, created_at),
  KEY submissions_status (status),
  CONSTRAINT submissions_status_valid CHECK (status IN ('QUEUED', 'JUDGING', 'JUDGED', 'FAILED')),
  CONSTRAINT submissions_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT submissions_problem FOREIGN KEY (problem_id) REFERENCES problems (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- request_sha256: a key reused with a different request body is refused rather than silently
-- answered with another request's submission.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  user_id        VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  `key`          VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  submission_id  CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  request_sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (user_id, `key`),
  CONSTRAINT idempotency_keys_submission FOREIGN KEY (submission_id) REFERENCES submissions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
