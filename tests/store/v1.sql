-- A version-1 vernier run store, written by hand (docs/store.md, "Schema, version 1").
-- Two runs: "baseline" (overall slice only, tagged stage=prod) and "candidate" (by g,
-- two groups, tagged model=gbm and stage=dev), with one undefined value (r2 on the
-- one-row slice g=b) and one value carrying a remark.
--
-- tests/store/test_store_cli.py builds a store from this text with Python's sqlite3
-- (executescript) and checks that this vernier opens, reads and appends to it, and
-- that the schema below is exactly the one vernier creates while VN_STORE_SCHEMA is 1.
-- Never edit it to follow a newer schema: it stands for the files users already have.

PRAGMA application_id = 1986949747; -- 0x766e7273, "vnrs"
PRAGMA user_version = 1;

BEGIN;

CREATE TABLE runs ( run_no INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE CHECK (length(id) = 16), created_at TEXT NOT NULL, name TEXT, command TEXT NOT NULL, argv TEXT, spec TEXT, source TEXT, y_col TEXT, yhat_col TEXT, weight_col TEXT, by_columns TEXT NOT NULL, data_hash TEXT, rows_read INTEGER NOT NULL, rows_used INTEGER NOT NULL, rows_missing INTEGER NOT NULL, rows_zero_weight INTEGER NOT NULL, zero_policy TEXT NOT NULL, r2_constant TEXT NOT NULL, min_count INTEGER NOT NULL, n_slices INTEGER NOT NULL, n_metrics INTEGER NOT NULL, vernier_version TEXT NOT NULL, json_schema TEXT NOT NULL, git_commit TEXT);
CREATE INDEX runs_by_time ON runs (created_at, run_no);
CREATE INDEX runs_by_name ON runs (name);
CREATE TABLE run_tags ( run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key)) WITHOUT ROWID;
CREATE INDEX run_tags_by_key ON run_tags (key, value);
CREATE TABLE run_slices ( run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE, slice_no INTEGER NOT NULL, label TEXT NOT NULL, rows_used INTEGER NOT NULL, PRIMARY KEY (run_id, slice_no)) WITHOUT ROWID;
CREATE TABLE run_slice_keys ( run_id TEXT NOT NULL, slice_no INTEGER NOT NULL, col_no INTEGER NOT NULL, by_column TEXT NOT NULL, by_value TEXT NOT NULL, PRIMARY KEY (run_id, slice_no, col_no), FOREIGN KEY (run_id, slice_no) REFERENCES run_slices (run_id, slice_no)  ON DELETE CASCADE) WITHOUT ROWID;
CREATE TABLE run_values ( run_id TEXT NOT NULL, slice_no INTEGER NOT NULL, metric_no INTEGER NOT NULL, metric TEXT NOT NULL, metric_id TEXT NOT NULL, value CHECK (typeof(value) IN ('real', 'null')), ci_low CHECK (typeof(ci_low) IN ('real', 'null')), ci_high CHECK (typeof(ci_high) IN ('real', 'null')), reason TEXT, message TEXT, PRIMARY KEY (run_id, slice_no, metric_no), FOREIGN KEY (run_id, slice_no) REFERENCES run_slices (run_id, slice_no)  ON DELETE CASCADE) WITHOUT ROWID;

-- Run 1: y = 1, 2, 3, 4; yhat = 1.5, 2, 2.5, 5  →  e = 0.5, 0, -0.5, 1.
--   mae = 2/4 = 0.5; rmse = sqrt(1.5/4) = 0.6123724356957945;
--   r2 = 1 - 1.5/5 = 0.7 (binary64: 0.7 is written as 0.69999999999999996).
INSERT INTO runs VALUES (1, '3f9c2a7b10d4e865', '2026-01-05T09:14:02.417Z', 'baseline',
  'eval', '["vernier","eval","preds.csv","-y","y","-p","yhat","--log","--tag","stage=prod","--name","baseline"]',
  'mae,rmse,r2', 'preds.csv', 'y', 'yhat', NULL, '[]', '9b3e0c5d2a7f4411',
  4, 4, 0, 0, 'nan', 'undefined', 0, 1, 3, '0.1.0', 'vernier.eval/1',
  '4c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d');
INSERT INTO run_tags VALUES ('3f9c2a7b10d4e865', 'stage', 'prod');
INSERT INTO run_slices VALUES ('3f9c2a7b10d4e865', 0, 'overall', 4);
INSERT INTO run_values VALUES ('3f9c2a7b10d4e865', 0, 0, 'mae', 'mae', 0.5, NULL, NULL, NULL, NULL);
INSERT INTO run_values VALUES ('3f9c2a7b10d4e865', 0, 1, 'rmse', 'rmse', 0.6123724356957945, NULL, NULL, NULL, NULL);
INSERT INTO run_values VALUES ('3f9c2a7b10d4e865', 0, 2, 'r2', 'r2', 0.69999999999999996, NULL, NULL, NULL, NULL);

-- Run 2: y = 1, 2, 3, 4, 6; yhat = 1, 2.5, 3, 3.5, 7; g = a, a, a, a, b (slice g=b has
-- one row, so r2 is undefined there).  e = 0, 0.5, 0, -0.5, 1.
--   overall: mae = 2/5 = 0.4; rmse = sqrt(1.5/5) = 0.5477225575051661;
--            r2 = 1 - 1.5/14.8 = 0.8986486486486487
--   g=a:     mae = 1/4 = 0.25; rmse = sqrt(0.5/4) = 0.3535533905932738; r2 = 1 - 0.5/5 = 0.9
--   g=b:     mae = 1; rmse = 1; r2 undefined (too_few_rows)
INSERT INTO runs VALUES (2, 'a41be09f7c3d2256', '2026-01-06T17:40:55.008Z', 'candidate',
  'eval', '["vernier","eval","preds2.csv","-y","y","-p","yhat","--by","g","--log","--tag","model=gbm","--tag","stage=dev","--name","candidate"]',
  'mae,rmse,r2', 'preds2.csv', 'y', 'yhat', NULL, '["g"]', '0d6a1f2e3b4c5d6e',
  5, 5, 0, 0, 'nan', 'undefined', 0, 3, 3, '0.1.0', 'vernier.eval/1', NULL);
INSERT INTO run_tags VALUES ('a41be09f7c3d2256', 'model', 'gbm');
INSERT INTO run_tags VALUES ('a41be09f7c3d2256', 'stage', 'dev');
INSERT INTO run_slices VALUES ('a41be09f7c3d2256', 0, 'overall', 5);
INSERT INTO run_slices VALUES ('a41be09f7c3d2256', 1, 'g=a', 4);
INSERT INTO run_slices VALUES ('a41be09f7c3d2256', 2, 'g=b', 1);
INSERT INTO run_slice_keys VALUES ('a41be09f7c3d2256', 1, 0, 'g', 'a');
INSERT INTO run_slice_keys VALUES ('a41be09f7c3d2256', 2, 0, 'g', 'b');
INSERT INTO run_values VALUES ('a41be09f7c3d2256', 0, 0, 'mae', 'mae', 0.4, NULL, NULL, NULL, NULL);
INSERT INTO run_values VALUES ('a41be09f7c3d2256', 0, 1, 'rmse', 'rmse', 0.5477225575051661, NULL, NULL, NULL, NULL);
INSERT INTO run_values VALUES ('a41be09f7c3d2256', 0, 2, 'r2', 'r2', 0.8986486486486487, NULL, NULL, NULL, NULL);
INSERT INTO run_values VALUES ('a41be09f7c3d2256', 1, 0, 'mae', 'mae', 0.25, NULL, NULL, NULL, NULL);
INSERT INTO run_values VALUES ('a41be09f7c3d2256', 1, 1, 'rmse', 'rmse', 0.3535533905932738, NULL, NULL, NULL, NULL);
INSERT INTO run_values VALUES ('a41be09f7c3d2256', 1, 2, 'r2', 'r2', 0.9, NULL, NULL, NULL, NULL);
INSERT INTO run_values VALUES ('a41be09f7c3d2256', 2, 0, 'mae', 'mae', 1.0, NULL, NULL, NULL, NULL);
INSERT INTO run_values VALUES ('a41be09f7c3d2256', 2, 1, 'rmse', 'rmse', 1.0, NULL, NULL, NULL, NULL);
INSERT INTO run_values VALUES ('a41be09f7c3d2256', 2, 2, 'r2', 'r2', NULL, NULL, NULL, 'too_few_rows', 'r2 needs at least 2 rows; the slice has 1');

COMMIT;
