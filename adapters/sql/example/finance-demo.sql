-- A tiny stand-in for the finance ERP, for the finance-payments.yaml example.
-- sqlite3 var/finance-demo.db < adapters/sql/example/finance-demo.sql
CREATE TABLE IF NOT EXISTS payments (
  payment_id INTEGER PRIMARY KEY,
  order_no   TEXT NOT NULL,
  amount     TEXT NOT NULL,
  currency   TEXT,
  method     TEXT,
  bank_ref   TEXT,
  value_date TEXT,
  booked_at  TEXT NOT NULL,
  status     TEXT NOT NULL DEFAULT 'booked'
);
CREATE VIEW IF NOT EXISTS payments_booked AS
  SELECT payment_id, order_no, amount, currency, method, bank_ref, value_date, booked_at
  FROM payments WHERE status = 'booked';
INSERT INTO payments (order_no, amount, currency, method, bank_ref, value_date, booked_at)
VALUES ('SO-1', '18430.00', 'EUR', 'bank_transfer', 'RF18 5390 0754 7034', '2026-11-20',
        '2026-11-20T10:15:00+01:00');
