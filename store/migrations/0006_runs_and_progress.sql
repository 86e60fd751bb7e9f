-- Runs on custom input (POST /v1/runs; contracts/runs.py): a program and its stdin, no problem, no
-- answers. The row is the run's state; result_json its output (kept to 64 KiB a stream) and usage.
-- 0003 is left for the outbox being written on another branch.
CREATE TABLE IF NOT EXISTS runs (
  id             CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id        VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  language       VARCHAR(16) NOT NULL,
  status         VARCHAR(16) NOT NULL DEFAULT 'QUEUED',
  attempt        INT NOT NULL DEFAULT 0,
  limits_json    JSON NOT NULL,
  result_json    JSON NULL,
  failure_reason TEXT NULL,
  created_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY runs_user (user_id, created_at),
  CONSTRAINT runs_status_valid CHECK (status IN ('QUEUED', 'RUNNING', 'DONE', 'FAILED')),
  CONSTRAINT runs_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What a submission has beyond its row, added after submissions was: its mode ('full' judges every
-- test; 'samples' only data/sample, keeping each sample's output) and its live progress (tests done
-- of total while JUDGING, from ProgressMessage, for GET /v1/submissions/{id}/events). A table of its
-- own, not ALTER TABLE: CREATE TABLE IF NOT EXISTS is harmless to re-run on MySQL and MariaDB alike.
CREATE TABLE IF NOT EXISTS submission_details (
  submission_id     CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  mode              VARCHAR(16) NOT NULL DEFAULT 'full',
  progress_attempt  INT NULL,
  tests_done        INT NULL,
  tests_total       INT NULL,
  updated_at        DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (submission_id),
  CONSTRAINT submission_details_mode CHECK (mode IN ('full', 'samples')),
  CONSTRAINT submission_details_submission FOREIGN KEY (submission_id) REFERENCES submissions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
