"""Double materiality (issue 15): rule packs of matters (ESRS 1 AR 16, the 2024 exchange
guidelines), the register of impacts, risks and opportunities (IROs), raters and their
append-only ratings, and the frozen methodology a DMA is rated under.

Services write (`packs`, `company_matters`, `setup`, `methodology`, `register`,
`ratings`, `spreadsheet`); `scoring` is pure and reads no models.
"""
