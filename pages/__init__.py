"""One module per screen; each defines render() and runs nothing at import."""
