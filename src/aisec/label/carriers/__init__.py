"""One module per file format. Each exposes a ``CARRIER`` object that satisfies
:class:`aisec.label.carriers.base.Carrier`; :mod:`aisec.label.carriers.registry` finds
the right one for a file by its leading bytes (extension only as a tie-breaker)."""
