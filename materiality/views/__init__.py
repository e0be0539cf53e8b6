"""The ESG team's pages, by area: assessments, results, reports and feedback."""
