"""The hub API's one route table. Route groups live in their own modules (nodes, sensors,
readings, zones, schedule, control, ...) as mixins of ``HubAPI`` (``app.py``); all
declare on this table, so the OpenAPI document lists them all."""

from rpymostat.hub.api.schemas import ID_PATTERN, ZONE_ID_MAX
from rpymostat.web.routing import Routes

ID = {"type": "string", "pattern": ID_PATTERN, "maxLength": 128}
INT_ID = {"type": "integer", "minimum": 1, "maximum": ZONE_ID_MAX}

routes = Routes(
    path_params={
        "node_id": ID,
        "sensor_id": ID,
        "output_id": ID,
        "zone_id": INT_ID,
        "token_id": INT_ID,
        "rule_id": INT_ID,
    }
)
op = routes.op
