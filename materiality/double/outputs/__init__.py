"""The outputs of an approved double materiality assessment (issue 15, item 7): ESRS 2
SBM-3, IRO-1 and IRO-2, and the 2024 exchange guidelines' topic results, Article 5
process and four-part checklist; as a page, printable HTML, PDF and XLSX, in zh and en.

`selectors` builds the typed rows from the approval's frozen snapshot; `services`
writes the report texts the ESG team adds; `xlsx`, `pdf` and the templates write them.
"""
