"""The contact history: what happened to each account before the as-of date, read from a
CSV or JSON Lines file (the contract: docs/data.md, "The contact history").

- :mod:`.rows` — one line read into an event, or the reject that says why not (the reject
  codes); the reader of a history that is not plain CSV, and of the gate's one event.
- :mod:`.plain` — a plain CSV history checked on columns, a batch of lines at a time.
- :mod:`.staging` — the history read once for a run: staged for the plan workers (by
  several workers when it is plain CSV), or scanned into memory.
- :mod:`.timeline` — an account's events in time order: moments read on columns, the lines
  made objects.
"""
