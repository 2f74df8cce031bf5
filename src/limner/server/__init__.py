"""Server: the HTTP door to the pipeline (OpenAI-compatible image API, provenance check, operator web pages).

`create_app(service)` in `limner.server.app` builds the FastAPI application; the caller builds the `Service`.
"""
