"""The value pages (namespace `value`, under /value/ in the workbench's layout)."""
