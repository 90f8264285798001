"""Pages of banking: every app's bank files, one file, and the upload of a bank's result file."""
