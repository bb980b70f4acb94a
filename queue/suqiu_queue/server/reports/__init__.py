"""Management reports (管理报表): figures, hot topics, and their HTML and PDF renderings."""
