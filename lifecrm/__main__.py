"""`python -m lifecrm` runs the console script."""
from lifecrm.cli import main

main()
