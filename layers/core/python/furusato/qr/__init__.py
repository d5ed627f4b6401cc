"""QR check-in posters (SVG and PNG); imported only by the check-in function."""
