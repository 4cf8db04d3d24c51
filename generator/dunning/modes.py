"""The modes dunning creates its files and folders with: owner-only, outputs hold personal data.

Apart from :mod:`dunning.outdir` (which re-exports them) so that a process that only writes
files — a print worker, started once a print batch — need not import outdir's JSON and ctypes
(≈ 16 ms of CPU a process, measured; docs/render.md, "Print workers")."""

DIR_MODE = 0o700
FILE_MODE = 0o600
