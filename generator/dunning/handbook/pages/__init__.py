"""One module per handbook page (or family of pages); each exposes ``pages(ctx) -> list[Page]``."""
