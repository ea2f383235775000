"""RPyMostat's web UI: the built app (``static/``, made by ``make webui`` from ``webui/``) and
the resource that serves it, mounted by the hub at ``/`` or run alone by ``rpymostat-webui``."""
