-- Per-user token buckets (backend/quota.py): one row per user and action ('submission'; runs may add
-- theirs). A request locks its row (SELECT ... FOR UPDATE), so API processes share one budget.
-- `tokens` is the balance at `refilled_at`, a time of the database's clock (NOW(6)), never of a
-- process's: API hosts whose clocks disagree still refill at one rate.
CREATE TABLE IF NOT EXISTS rate_limits (
  user_id     VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  action      VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  tokens      DOUBLE NOT NULL,
  refilled_at DATETIME(6) NOT NULL,
  PRIMARY KEY (user_id, action),
  CONSTRAINT rate_limits_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;
