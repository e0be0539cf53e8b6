"""A whole survey assessment as one portable file, and back (docs/operations.md,
"Backups: one assessment as one file").

    archive.py    what every portable file shares (also the DMA's file,
                  materiality/double/portability/): the zip, its manifest and digests,
                  the checks before a row is read
    vocabulary.py the topics a file names, carried with it and added where missing
    format.py     the file's layout and version, and how a row's fields become JSON
    exporting.py  assessment -> file, streamed row by row (`assessment_export`)
    restoring.py  file -> a new assessment, in one transaction (`assessment_restore`)

The file is a zip of JSON: `manifest.json` (format name, version, counts, a SHA-256 per
member) and one member per kind of row, JSON Lines where there can be many rows.
`manage.py assessment_file export|import` is the thin front.
"""
