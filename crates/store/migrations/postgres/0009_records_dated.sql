-- A record's own date (an invoice's or a voucher's, YYYY-MM-DD), where it
-- differs from when it was collected: the Bookkeeping Act counts the
-- fiscal year of the transaction.
ALTER TABLE records ADD COLUMN dated TEXT;
