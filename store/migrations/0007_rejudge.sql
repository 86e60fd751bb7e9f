-- Rejudge (POST /v1/problems/{id}/rejudge, backend/rejudge.py). Who holds an admin token: a setter
-- who may rejudge (judge-admin create-user NAME --admin).
CREATE TABLE IF NOT EXISTS admins (
  user_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (user_id),
  CONSTRAINT admins_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- A submission's earlier results, kept when it is rejudged: the row in submissions is always the
-- latest, this is what it said before (one row per rejudge, by the attempt it had then).
CREATE TABLE IF NOT EXISTS submission_history (
  submission_id  CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  attempt        INT NOT NULL,
  status         VARCHAR(16) NOT NULL,
  verdict        VARCHAR(32) NULL,
  score          DOUBLE NULL,
  time_ms        INT NULL,
  memory_kb      INT NULL,
  result_json    JSON NULL,
  failure_reason TEXT NULL,
  judged_at      DATETIME(6) NOT NULL,
  rejudged_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (submission_id, attempt),
  CONSTRAINT submission_history_submission FOREIGN KEY (submission_id) REFERENCES submissions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
