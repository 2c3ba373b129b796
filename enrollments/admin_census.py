"""Census import admin: the upload screen and the list of past imports (filled in by the census work)."""
