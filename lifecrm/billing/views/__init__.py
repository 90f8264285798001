"""Pages of renewal collection (續期收費): dashboard, work lists, counter payments, bank files, persistency."""
