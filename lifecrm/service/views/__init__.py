"""The service desk's pages (namespace `service`, mounted under /service/ in the workbench's layout)."""
