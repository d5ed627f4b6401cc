"""Response views, one module per aggregate: how a stored record is shown to its reader. Views
read records and rules only (no storage calls); capabilities load, decide, save, and answer
with a view from here."""
