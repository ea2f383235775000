"""The twisted.web site every RPyMostat API is served by."""

from twisted.web.server import Site


class QuietSite(Site):
    """A site without per-request access logs or tracebacks: a hub answers readings many
    times a minute (a log line each cost a third of its request time), and a relay is
    commanded every few seconds; errors reach the log through the API's error handler."""

    displayTracebacks = False
    noisy = False

    def log(self, request):
        pass
