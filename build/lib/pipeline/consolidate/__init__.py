"""The counted submissions merged into tables and the counts the report speaks of."""
