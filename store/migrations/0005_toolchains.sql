-- The compiler (or interpreter) version each language is judged with, as the sandbox functions'
-- toolchains report it (`Language.version_command`, run where the layer is): a worker writes it
-- after its first compile in an execution environment; GET /v1/languages reads it.
CREATE TABLE IF NOT EXISTS toolchains (
  language    VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  version     VARCHAR(200) NOT NULL,
  reported_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (language)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
