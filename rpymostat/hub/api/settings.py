"""Hub-wide settings."""

from __future__ import annotations

from twisted.internet.defer import inlineCallbacks

from rpymostat.hub.api.routes import op


class SettingsAPI:
    @op("GET", "/v1/settings", summary="Hub-wide settings.", tag="hub", response="Settings")
    def get_settings(self, call):
        return self.settings

    @op("PATCH", "/v1/settings", summary="Change hub-wide settings.", tag="hub", body="SettingsPatch",
        response="Settings")
    @inlineCallbacks
    def patch_settings(self, call):
        changes = call.body
        yield self.store.put_settings(changes)
        self.settings = {**self.settings, **changes}
        self.on_change("settings")
        return self.settings
