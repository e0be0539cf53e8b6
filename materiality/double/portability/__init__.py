"""A whole double materiality assessment as one portable file, and back (docs/operations.md,
"A double materiality assessment as one file").

    format.py     the file's layout and version, and how it names matters
    exporting.py  DMA -> file, the ratings and the trail streamed row by row (`dma_export`)
    restoring.py  file -> a new DMA, in one transaction (`dma_restore`)

The zip, its manifest with a SHA-256 per member and the checks before a row is read are
the survey assessment's file's (materiality/portability/archive.py).
`manage.py dma_file export|import` is the thin front.
"""
