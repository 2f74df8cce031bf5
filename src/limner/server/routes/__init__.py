"""Server: the routers (OpenAI-compatible images and moderations, provenance, operator web pages)."""
