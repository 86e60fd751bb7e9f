-- The transactional outbox (store/outbox.py): intake inserts a submission's row and the message that
-- queues it in one transaction, and a relay sends what is pending and stamps sent_at, so no accepted
-- submission is left without its message when the API dies or SQS refuses between the two.
-- A re-send by the sweeper (store/sweeper.py) is a second row for the same submission, purpose
-- 'resend'; the unique key makes it happen at most once, however many sweepers run.
CREATE TABLE IF NOT EXISTS outbox (
  id            BIGINT NOT NULL AUTO_INCREMENT,
  submission_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  purpose       VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  body          TEXT NOT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  sent_at       DATETIME(6) NULL,
  send_failures INT NOT NULL DEFAULT 0,
  last_error    VARCHAR(1000) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY outbox_once (submission_id, purpose),
  KEY outbox_pending (sent_at, id),
  CONSTRAINT outbox_purpose CHECK (purpose IN ('intake', 'resend')),
  CONSTRAINT outbox_submission FOREIGN KEY (submission_id) REFERENCES submissions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Where the consumer keeps a completion it could not apply (a value out of a column's range, say): the
-- message as received, cut to fit, next to the row it ended FAILED.
CREATE TABLE IF NOT EXISTS unapplied_completions (
  id            BIGINT NOT NULL AUTO_INCREMENT,
  submission_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  body          MEDIUMTEXT NOT NULL,
  error         VARCHAR(1000) NOT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY unapplied_completions_submission (submission_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
