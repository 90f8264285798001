"""`python -m lifecrm` runs the console script."""
from lifecrm.cli import main

if __name__ == "__main__":
    main()
