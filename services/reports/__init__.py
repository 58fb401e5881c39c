"""Board reports: a period's figures from every area, as a web page and a PDF, drafted then published."""
