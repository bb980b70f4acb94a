"""The ASGI entry point uvicorn imports (``suqiu_queue.server.asgi:app``), settings from the environment."""

from .app import create_app

app = create_app(scheduler=True)  # the background jobs, unless SUQIU_SCHEDULER=0
